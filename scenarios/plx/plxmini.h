/* plxmini.h: plxmini's own constants (plxmini.c). */
#ifndef PLXMINI_H
#define PLXMINI_H

#include "plx9656.h"

#define PLX_MAX_TRANSFER 8192u /* the board's SRAM window the sample caps transfers at, here 2 pages */
#define PLX_RING_ELEMENTS 4u   /* descriptors per direction: a 2-page stage spans at most 3 pages */

#endif
