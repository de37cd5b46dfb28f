/* wpprecorder.h: the in-flight recorder of WPP, for dmarace's model: its
 * names are in km_wpp.h (accept-only; every message goes to dmarace's trace). */
#ifndef DMARACE_WPPRECORDER_H
#define DMARACE_WPPRECORDER_H

#include "km_wpp.h"

#endif
