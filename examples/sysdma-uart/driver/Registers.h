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
#define UART_REG_INTERRUPT_CLEAR        0x18    // WO: write 1 to clear a raw interrupt status bit
#define UART_REG_INTERRUPT_MASK         0x1C    // RW: interrupt enables (1: the bit interrupts)
#define UART_REG_RAW_INTERRUPT_STATUS   0x20    // RO: interrupt status before the mask
#define UART_REG_MASKED_INTERRUPT_STATUS 0x24   // RO: raw status AND mask: what drives the line

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

//
// Interrupt bits (UART_REG_INTERRUPT_MASK, _CLEAR, _RAW_ and _MASKED_
// INTERRUPT_STATUS). The block drives one level-sensitive interrupt line
// while a masked status bit is set; a status bit stays set until the driver
// writes it to UART_REG_INTERRUPT_CLEAR.
//
// RX character timeout: the receive FIFO holds bytes the DMA request
// threshold has not reached and the line has been idle for 32 bit times.
// A read the sender stopped short of its length ends here.
//
#define UART_INT_RX_TIMEOUT             0x00000040

#define UART_DEFAULT_DMA_THRESHOLD      8
