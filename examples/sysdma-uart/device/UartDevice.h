/* UartDevice.h: the device model of the UART block (driver/Registers.h) for
 * dmarace: what the hardware does with the driver's register accesses, and
 * when it raises its RX character-timeout interrupt. Test code, not driver
 * code: the scenarios' SELECT functions install it before each execution. */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/* Installs the device model for the execution about to start
 * (km_device_model_set; docs/byod.md, SELECT). */
void SysDmaUartDeviceInstall(void);

#ifdef __cplusplus
}
#endif
