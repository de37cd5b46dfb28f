/* specstrings.h: the SAL names (km_sal.h), as sal.h. */
#include "km_sal.h"
