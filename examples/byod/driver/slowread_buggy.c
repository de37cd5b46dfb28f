/* slowread_buggy.c: the same driver with the bug switched on (see slowread.c). */
#define SLOWREAD_BUG 1
#include "slowread.c"
