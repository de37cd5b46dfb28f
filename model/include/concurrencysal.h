/* concurrencysal.h: the lock annotations (_Acquires_lock_(x),
 * _Requires_lock_held_(x), _Guarded_by_(x), ...), defined empty: km_sal.h. */
#include "km_sal.h"
