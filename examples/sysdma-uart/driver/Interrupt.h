/*++

Module Name:

    Interrupt.h

Abstract:

    The UART's interrupt: the RX character timeout ends a pending read
    early, through the RX channel's stop path.

Environment:

    Kernel mode

--*/

#pragma once

_Must_inspect_result_
NTSTATUS
SysDmaUartInterruptCreate(
    _In_ WDFDEVICE Device,
    _In_ PCM_PARTIAL_RESOURCE_DESCRIPTOR InterruptRaw,
    _In_ PCM_PARTIAL_RESOURCE_DESCRIPTOR InterruptTranslated
    );

EVT_WDF_INTERRUPT_ISR SysDmaUartEvtInterruptIsr;
EVT_WDF_INTERRUPT_DPC SysDmaUartEvtInterruptDpc;
EVT_WDF_INTERRUPT_ENABLE SysDmaUartEvtInterruptEnable;
EVT_WDF_INTERRUPT_DISABLE SysDmaUartEvtInterruptDisable;
