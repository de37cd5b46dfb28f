/* km_test_driver.h: set-up the model tests' small drivers share. The
 * functions are static and included into each test, so that they compile as
 * driver code like the rest of the test's driver (every load and store a
 * scheduling point): km_test.c is built as harness code. Include after the
 * WDF headers. */
#ifndef KM_TEST_DRIVER_H
#define KM_TEST_DRIVER_H

#include <stddef.h>

/* The device and default queue of most test drivers' EvtDeviceAdd: the PnP
 * callbacks with EvtDevicePrepareHardware = prepare (unless prepare is NULL),
 * the I/O type io_type (unless WdfDeviceIoUndefined), WdfDeviceCreate into
 * *device, then a parallel default queue with EvtIoRead = read, its handle in
 * *queue (unless queue is NULL). Returns the first failing status. */
static inline NTSTATUS km_test_device_queue(PWDFDEVICE_INIT *DeviceInit, PFN_WDF_DEVICE_PREPARE_HARDWARE prepare,
                                            WDF_DEVICE_IO_TYPE io_type, PFN_WDF_IO_QUEUE_IO_READ read,
                                            WDFDEVICE *device, WDFQUEUE *queue)
{
    if (prepare) {
        WDF_PNPPOWER_EVENT_CALLBACKS pnp;
        WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
        pnp.EvtDevicePrepareHardware = prepare;
        WdfDeviceInitSetPnpPowerEventCallbacks(*DeviceInit, &pnp);
    }
    if (io_type != WdfDeviceIoUndefined)
        WdfDeviceInitSetIoType(*DeviceInit, io_type);
    NTSTATUS s = WdfDeviceCreate(DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, device);
    if (!NT_SUCCESS(s))
        return s;
    WDF_IO_QUEUE_CONFIG qc;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchParallel);
    qc.EvtIoRead = read;
    return WdfIoQueueCreate(*device, &qc, WDF_NO_OBJECT_ATTRIBUTES, queue);
}

#endif
