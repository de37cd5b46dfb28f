/* test_common_buffer.c: WDFCOMMONBUFFER (issue 14): WdfCommonBufferCreate /
 * CreateWithConfig on a bus-master enabler, the aligned virtual and logical
 * addresses and the length (fxcommonbuffer.cpp
 * FxCommonBuffer::AllocateCommonBuffer), the argument and IRQL checks
 * (fxcommonbufferapi.cpp), and the memory's lifetime: freed, and poisoned,
 * when the buffer or its enabler is deleted, so that a driver touching it
 * afterwards is a use-after-free finding.
 *
 * The small driver creates a scatter-gather enabler in EvtDeviceAdd; its
 * EvtIoRead does what the test says (drv.mode) and completes the request. */
#include "km.h"
#include "km_device.h"
#include "km_test.h"
#include "km_test_driver.h"
#include "wdf.h"

enum {
    M_DEFAULT,      /* WdfCommonBufferCreate, 100 bytes */
    M_ALIGNED,      /* CreateWithConfig: 64 KiB alignment (above a page), 5000 bytes */
    M_ALIGNED_SMALL,/* CreateWithConfig: FILE_256_BYTE_ALIGNMENT (below a page) */
    M_ARGS,         /* Length 0, a ParentObject, a bad config size */
    M_DISPATCH,     /* WdfCommonBufferCreate at DISPATCH_LEVEL */
    M_USE_AFTER_DELETE,         /* write after WdfObjectDelete(common buffer) */
    M_USE_AFTER_ENABLER_DELETE, /* read after WdfObjectDelete(enabler) */
    M_SYSTEM_UNCONFIGURED,      /* a system enabler never configured */
};

static struct {
    int mode;
    WDF_DMA_PROFILE profile;
} drv;

static struct {
    NTSTATUS create, len0, parent, size;
    uintptr_t va;
    int64_t la, pa; /* pa: MmGetPhysicalAddress of the virtual address */
    bool dma_seen, dma_past_end, dma_after_delete; /* km_device_dma_mapped / _memory, as a device sees it */
    size_t length;
    bool wrote;
    WDFCOMMONBUFFER handle_after_failure;
} obs;

static km_env env;
static WDFDMAENABLER g_en;

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    WDFCOMMONBUFFER cb = NULL;
    WDF_COMMON_BUFFER_CONFIG cfg;
    switch (drv.mode) {
    case M_DEFAULT:
    case M_USE_AFTER_DELETE:
    case M_USE_AFTER_ENABLER_DELETE:
    case M_SYSTEM_UNCONFIGURED:
        obs.create = WdfCommonBufferCreate(g_en, 100, WDF_NO_OBJECT_ATTRIBUTES, &cb);
        break;
    case M_ALIGNED:
        WDF_COMMON_BUFFER_CONFIG_INIT(&cfg, 0xFFFF);
        obs.create = WdfCommonBufferCreateWithConfig(g_en, 5000, &cfg, WDF_NO_OBJECT_ATTRIBUTES, &cb);
        break;
    case M_ALIGNED_SMALL:
        WDF_COMMON_BUFFER_CONFIG_INIT(&cfg, FILE_256_BYTE_ALIGNMENT);
        obs.create = WdfCommonBufferCreateWithConfig(g_en, 300, &cfg, WDF_NO_OBJECT_ATTRIBUTES, &cb);
        break;
    case M_ARGS: {
        WDF_OBJECT_ATTRIBUTES attrs;
        cb = (WDFCOMMONBUFFER)(uintptr_t)1;
        obs.len0 = WdfCommonBufferCreate(g_en, 0, WDF_NO_OBJECT_ATTRIBUTES, &cb);
        obs.handle_after_failure = cb;
        WDF_OBJECT_ATTRIBUTES_INIT(&attrs);
        attrs.ParentObject = g_en;
        obs.parent = WdfCommonBufferCreate(g_en, 100, &attrs, &cb);
        WDF_COMMON_BUFFER_CONFIG_INIT(&cfg, 0);
        cfg.Size = sizeof cfg + 4;
        obs.size = WdfCommonBufferCreateWithConfig(g_en, 100, &cfg, WDF_NO_OBJECT_ATTRIBUTES, &cb);
        cb = NULL;
        break;
    }
    case M_DISPATCH: {
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        obs.create = WdfCommonBufferCreate(g_en, 100, WDF_NO_OBJECT_ATTRIBUTES, &cb);
        KeLowerIrql(old);
        break;
    }
    }
    if (cb && NT_SUCCESS(obs.create)) {
        uint8_t *va = WdfCommonBufferGetAlignedVirtualAddress(cb);
        obs.va = (uintptr_t)va;
        obs.la = WdfCommonBufferGetAlignedLogicalAddress(cb).QuadPart;
        obs.pa = MmGetPhysicalAddress(va).QuadPart;
        obs.length = WdfCommonBufferGetLength(cb);
        /* The whole buffer is the driver's: the device's rings live here. */
        for (size_t i = 0; i < obs.length; i++)
            va[i] = (uint8_t)i;
        obs.wrote = va[obs.length - 1] == (uint8_t)(obs.length - 1);
        obs.dma_seen = km_device_dma_mapped((uint64_t)obs.la, obs.length) &&
                       km_device_dma_memory((uint64_t)obs.la + 4, 4) == va + 4;
        obs.dma_past_end = km_device_dma_mapped((uint64_t)obs.la + obs.length - 1, 2);
        if (drv.mode == M_USE_AFTER_DELETE) {
            WdfObjectDelete(cb);
            obs.dma_after_delete = km_device_dma_mapped((uint64_t)obs.la, 1) || km_device_dma_memory((uint64_t)obs.la, 1);
            va[0] = 1; /* the device's ring after the buffer went back to the HAL */
        } else if (drv.mode == M_USE_AFTER_ENABLER_DELETE) {
            WdfObjectDelete(g_en); /* the common buffer is its child */
            obs.wrote = va[10] == 10;
        }
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDFDEVICE device;
    UNREFERENCED_PARAMETER(Driver);
    NTSTATUS s = km_test_device_queue(&DeviceInit, NULL, WdfDeviceIoDirect, EvtIoRead, &device, NULL);
    if (!NT_SUCCESS(s))
        return s;
    WDF_DMA_ENABLER_CONFIG c;
    WDF_DMA_ENABLER_CONFIG_INIT(&c, drv.profile, 16 * KM_PAGE_SIZE);
    return WdfDmaEnablerCreate(device, &c, WDF_NO_OBJECT_ATTRIBUTES, &g_en);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static void setup(void)
{
    memset(&obs, 0, sizeof obs);
    km_world_start(&env, DriverEntry);
}

static void check(void) { km_world_check(); }

static const dr_scenario scn = {"test-common-buffer", "common buffers", "clean", 2, 4, 1, setup, check, NULL, 0};

static km_test_result run(int mode)
{
    km_env_defaults(&env);
    env.cancel = false;
    drv.mode = mode;
    if (!drv.profile)
        drv.profile = WdfDmaProfileScatterGather64;
    return km_test_run(&scn, "random", 2, true);
}

int main(void)
{
    /* At least a page from the HAL, page-aligned: the aligned address is
     * the raw one; its logical address is a bus address below 4 GiB, not
     * the virtual one, at the same offset in its page (km_logical_address). */
    km_test_result r = run(M_DEFAULT);
    KEXPECT_CLEAN(r);
    KCHECK(obs.create == STATUS_SUCCESS && obs.length == 100 && obs.wrote);
    KCHECK(obs.va != 0 && obs.va % KM_PAGE_SIZE == 0);
    KCHECK((uint64_t)obs.la == km_logical_address((void *)obs.va) && (uint64_t)obs.la != obs.va);
    KCHECK((uint64_t)obs.la < (1ull << 32) && km_logical_to_virtual((uint64_t)obs.la) == (void *)obs.va);
    KCHECK(obs.pa == obs.la);
    KCHECK(obs.dma_seen && !obs.dma_past_end); /* a device reaches the whole buffer and nothing past it */

    /* An alignment above a page: the logical address advanced to the 64 KiB
     * boundary and the virtual one by the same offset (KMDF guarantees only
     * the logical address's alignment). */
    r = run(M_ALIGNED);
    KEXPECT_CLEAN(r);
    KCHECK(obs.create == STATUS_SUCCESS && obs.length == 5000 && obs.wrote);
    KCHECK(obs.la % 0x10000 == 0 && (uint64_t)obs.la == km_logical_address((void *)obs.va));

    r = run(M_ALIGNED_SMALL);
    KEXPECT_CLEAN(r);
    KCHECK(obs.create == STATUS_SUCCESS && obs.length == 300 && obs.va % KM_PAGE_SIZE == 0);

    r = run(M_ARGS);
    KEXPECT_CLEAN(r);
    KCHECK(obs.len0 == STATUS_INVALID_PARAMETER && obs.handle_after_failure == NULL);
    KCHECK(obs.parent == STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED);
    KCHECK(obs.size == STATUS_INFO_LENGTH_MISMATCH);

    /* FxVerifierCheckIrqlLevel(PASSIVE_LEVEL): a verifier break; without
     * the verifier nothing checks (the model then allocates). */
    r = run(M_DISPATCH);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "V33: WdfCommonBufferCreate: called above its maximum IRQL");

    /* Deleted: the memory is freed and poisoned. */
    r = run(M_USE_AFTER_DELETE);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "use-after-free:");
    KCHECK(km_test_title_has(&r, "a freed common buffer"));
    KCHECK(!obs.dma_after_delete); /* and no device reaches it any more */
#if defined(__clang__) /* the access kind is known where the access hooks see driver stores */
    KCHECK(km_test_title_has(&r, "use-after-free: write to a freed common buffer"));
#endif
    r = run(M_USE_AFTER_ENABLER_DELETE);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "use-after-free:");
    KCHECK(km_test_title_has(&r, "a freed common buffer"));

    /* A system enabler whose read direction was never configured has no
     * adapter to allocate from. */
    drv.profile = WdfDmaProfileSystem;
    r = run(M_SYSTEM_UNCONFIGURED);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "DMA-CFG: WdfCommonBufferCreate");
    return km_test_done();
}
