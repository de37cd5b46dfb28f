/* sal.h: every SAL 2.0 annotation name (_In_, _Out_writes_bytes_(n),
 * _Must_inspect_result_, __in_ecount(n), ...), defined empty: km_sal.h,
 * generated from mingw-w64's sal.h, concurrencysal.h and driverspecs.h.
 * __in, __out and __range are defined for C only (libstdc++ uses them). */
#include "km_sal.h"
/* __fallthrough; marks an intended fall-through between switch cases: the
 * compiler's statement attribute, so -Wimplicit-fallthrough accepts it. */
#ifndef __fallthrough
#define __fallthrough __attribute__((fallthrough))
#endif
