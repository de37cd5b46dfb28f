/* portcls.h: a stand-in for the WDK's audio port class header, for drivers
 * that sit beside an audio stack and share its format types (an I2S DMA
 * driver exporting an interface to a PortCls miniport). It provides the wave
 * format types only: WAVEFORMATEX (mmreg.h), WAVEFORMATEXTENSIBLE
 * (ksmedia.h) and their pointer types, packed on 1 as the WDK declares them,
 * and WAVE_FORMAT_PCM / WAVE_FORMAT_EXTENSIBLE. No PortCls routine, port or
 * miniport interface is modelled (docs/api-support.md). */
#ifndef DMARACE_PORTCLS_H
#define DMARACE_PORTCLS_H

#include "wdm.h"
#include "guiddef.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WAVE_FORMAT_PCM 1
#define WAVE_FORMAT_EXTENSIBLE 0xFFFE

#include "pshpack1.h"
typedef struct tWAVEFORMATEX {
    WORD wFormatTag;
    WORD nChannels;
    DWORD nSamplesPerSec;
    DWORD nAvgBytesPerSec;
    WORD nBlockAlign;
    WORD wBitsPerSample;
    WORD cbSize;
} WAVEFORMATEX, *PWAVEFORMATEX, *NPWAVEFORMATEX, *LPWAVEFORMATEX;
typedef const WAVEFORMATEX *PCWAVEFORMATEX;

typedef struct {
    WAVEFORMATEX Format;
    union {
        WORD wValidBitsPerSample;
        WORD wSamplesPerBlock;
        WORD wReserved;
    } Samples;
    DWORD dwChannelMask;
    GUID SubFormat;
} WAVEFORMATEXTENSIBLE, *PWAVEFORMATEXTENSIBLE;
#include "poppack.h"

#ifdef __cplusplus
}
#endif
#endif
