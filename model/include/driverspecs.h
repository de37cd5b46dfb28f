/* driverspecs.h: the driver annotations (_IRQL_requires_max_(x),
 * _IRQL_saves_, __drv_maxIRQL(x), _Kernel_float_saved_, ...), defined
 * empty, with the rest of SAL: km_sal.h. */
#include "km_sal.h"
