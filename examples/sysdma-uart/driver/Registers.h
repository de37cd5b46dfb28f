/*++

Module Name:

    Registers.h

Abstract:

    Register map of the UART block. The block has one 4 KB register window
    (the memory resource); its receive and transmit FIFOs are the device
    addresses the platform's system DMA controller moves bytes from and to,
    one DMA request line per direction.

Environment:

    Kernel mode

--*/

#pragma once

#define UART_REGISTER_WINDOW_LENGTH     0x1000

//
// Register offsets from the start of the window.
//
#define UART_REG_ID                     0x00    // RO: block identification
#define UART_REG_CONTROL                0x04    // RW: enable, DMA request lines
#define UART_REG_STATUS                 0x08    // RO: FIFO and line status
#define UART_REG_DMA_THRESHOLD          0x0C    // RW: FIFO level that raises a DMA request
#define UART_REG_RX_FIFO                0x10    // RO: receive FIFO (RX DMA source)
#define UART_REG_TX_FIFO                0x14    // WO: transmit FIFO (TX DMA destination)
#define UART_REG_INTERRUPT_CLEAR        0x18    // WO: write 1 to clear

//
// UART_REG_CONTROL bits.
//
#define UART_CONTROL_ENABLE             0x00000001
#define UART_CONTROL_RX_DMA_REQUEST     0x00000002
#define UART_CONTROL_TX_DMA_REQUEST     0x00000004
#define UART_CONTROL_FLUSH_FIFOS        0x00000008

//
// UART_REG_STATUS bits.
//
#define UART_STATUS_RX_OVERRUN          0x00000010
#define UART_STATUS_FRAMING_ERROR       0x00000020

#define UART_DEFAULT_DMA_THRESHOLD      8
