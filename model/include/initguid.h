/* initguid.h: defines INITGUID, so that DEFINE_GUID (guiddef.h) defines the
 * GUIDs named after this include instead of declaring them. */
#ifndef INITGUID
#define INITGUID
#endif
#include "guiddef.h"
