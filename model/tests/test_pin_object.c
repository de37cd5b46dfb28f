/* test_pin_object.c: objects, handles and contexts (km_object.c) in the
 * details no other test pins (issue 12, mutation survivors M052-M081): a
 * context type allocated twice, a type the object lacks, ContextSizeOverride,
 * attributes of the wrong Size, EvtDestroyCallback, the attributes'
 * ExecutionLevel, and a stale handle to a reused slot. KMDF sources are in
 * microsoft/Windows-Driver-Frameworks, src/framework/shared/object. */
#include "km_test.h"
#include "wdf.h"

typedef struct CTX_A { ULONG value; } CTX_A;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(CTX_A, GetCtxA)
typedef struct CTX_B { ULONGLONG b[2]; } CTX_B;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(CTX_B, GetCtxB)
typedef struct CTX_SMALL { ULONG x; } CTX_SMALL;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(CTX_SMALL, GetCtxSmall)

enum { OVERRIDE_SIZE = 64 };

typedef enum {
    O_CONTEXTS,        /* duplicate and unknown context types */
    O_OVERRIDE,        /* write every byte of a context enlarged by ContextSizeOverride */
    O_OVERRIDE_PAST,   /* ... and one byte past it */
    O_BAD_SIZE,        /* attributes whose Size is wrong */
    O_DESTROY,         /* cleanup and destroy callbacks around a held reference */
    O_LEVEL,           /* timers under a device whose attributes ask for passive callbacks */
    O_STALE,           /* a handle of a deleted lock whose slot a new lock took */
    O_VALIDATE,        /* attributes FxValidateObjectAttributes refuses, on create and AllocateContext */
} omode;

/* O_VALIDATE: what each refused call returned. */
static NTSTATUS v_alloc_null, v_alloc_notype, v_alloc_parent, v_override_small, v_override_notype, v_level,
    v_scope;

static omode mode;
static km_env env;
static WDFDEVICE g_device;

/* Observations of one execution. */
static NTSTATUS g_dup_status, g_b_status, g_dup_b_status, g_bad_status, g_dispatch_timer_status,
    g_passive_timer_status;
static PVOID g_a, g_a_again, g_b, g_b_again, g_unknown, g_b_get;
static ULONG g_a_value;
static WDFSPINLOCK g_bad_lock, g_lock_a, g_lock_b;
static WDFOBJECT g_destroy_handle;
static char g_order[16];
static int g_norder;
static int g_destroy_before_deref;

static void note(char c)
{
    if (g_norder < (int)sizeof g_order - 1)
        g_order[g_norder++] = c;
}

static VOID EvtCleanup(WDFOBJECT Object)
{
    UNREFERENCED_PARAMETER(Object);
    note('c');
}

static VOID EvtDestroy(WDFOBJECT Object)
{
    g_destroy_handle = Object;
    note('d');
}

static VOID EvtTimer(WDFTIMER Timer) { UNREFERENCED_PARAMETER(Timer); }

static void contexts(WDFREQUEST Request)
{
    WDF_OBJECT_ATTRIBUTES a;
    WDFSPINLOCK lock;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, CTX_A);
    a.ParentObject = Request;
    if (!NT_SUCCESS(WdfSpinLockCreate(&a, &lock)))
        return;
    g_a = GetCtxA(lock);
    GetCtxA(lock)->value = 0x1234;
    /* A type the object lacks. */
    g_unknown = GetCtxB(lock);
    /* The same type again: refused, the existing context handed back. */
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, CTX_A);
    g_dup_status = WdfObjectAllocateContext(lock, &a, &g_a_again);
    g_a_value = GetCtxA(lock)->value;
    /* Another type: added; then that one again. */
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, CTX_B);
    g_b_status = WdfObjectAllocateContext(lock, &a, &g_b);
    g_b_get = GetCtxB(lock);
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, CTX_B);
    g_dup_b_status = WdfObjectAllocateContext(lock, &a, &g_b_again);
}

static void override(WDFREQUEST Request)
{
    WDF_OBJECT_ATTRIBUTES a;
    WDFSPINLOCK lock;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, CTX_SMALL);
    a.ContextSizeOverride = OVERRIDE_SIZE;
    a.ParentObject = Request;
    if (!NT_SUCCESS(WdfSpinLockCreate(&a, &lock)))
        return;
    volatile UCHAR *p = (volatile UCHAR *)GetCtxSmall(lock);
    for (size_t i = 0; i < OVERRIDE_SIZE; i++)
        p[i] = (UCHAR)i;
    if (mode == O_OVERRIDE_PAST)
        p[OVERRIDE_SIZE] = 1;
}

static void destroy(void)
{
    WDF_OBJECT_ATTRIBUTES a;
    WDFSPINLOCK lock;
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.EvtCleanupCallback = EvtCleanup;
    a.EvtDestroyCallback = EvtDestroy;
    if (!NT_SUCCESS(WdfSpinLockCreate(&a, &lock)))
        return;
    g_lock_a = lock;
    WdfObjectReference(lock);
    WdfObjectDelete(lock);    /* cleanup now; the reference keeps the memory */
    note('|');
    WdfObjectDereference(lock); /* the last reference: destroy */
}

static VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    WDF_OBJECT_ATTRIBUTES a;
    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(Length);
    switch (mode) {
    case O_CONTEXTS:
        contexts(Request);
        break;
    case O_OVERRIDE:
    case O_OVERRIDE_PAST:
        override(Request);
        break;
    case O_BAD_SIZE:
        WDF_OBJECT_ATTRIBUTES_INIT(&a);
        a.Size = sizeof a - sizeof(PVOID);
        g_bad_lock = (WDFSPINLOCK)(uintptr_t)1;
        g_bad_status = WdfSpinLockCreate(&a, &g_bad_lock);
        break;
    case O_DESTROY:
        destroy();
        break;
    case O_LEVEL:
        break;
    case O_VALIDATE: {
        WDFSPINLOCK l;
        PVOID ctx = (PVOID)1;
        v_alloc_null = WdfObjectAllocateContext(Request, NULL, &ctx);
        WDF_OBJECT_ATTRIBUTES_INIT(&a);
        v_alloc_notype = WdfObjectAllocateContext(Request, &a, &ctx);
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, CTX_A);
        a.ParentObject = g_device;
        v_alloc_parent = WdfObjectAllocateContext(Request, &a, &ctx);
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, CTX_B);
        a.ContextSizeOverride = sizeof(CTX_B) - 1;
        v_override_small = WdfSpinLockCreate(&a, &l);
        WDF_OBJECT_ATTRIBUTES_INIT(&a);
        a.ContextSizeOverride = 8;
        v_override_notype = WdfSpinLockCreate(&a, &l);
        WDF_OBJECT_ATTRIBUTES_INIT(&a);
        a.ExecutionLevel = WdfExecutionLevelInvalid;
        v_level = WdfSpinLockCreate(&a, &l);
        WDF_OBJECT_ATTRIBUTES_INIT(&a);
        a.SynchronizationScope = (WDF_SYNCHRONIZATION_SCOPE)(WdfSynchronizationScopeNone + 1);
        v_scope = WdfSpinLockCreate(&a, &l);
        break;
    }
    case O_STALE:
        if (!NT_SUCCESS(WdfSpinLockCreate(WDF_NO_OBJECT_ATTRIBUTES, &g_lock_a)))
            break;
        WdfObjectDelete(g_lock_a); /* nothing else holds it: freed */
        if (!NT_SUCCESS(WdfSpinLockCreate(WDF_NO_OBJECT_ATTRIBUTES, &g_lock_b)))
            break;
        WdfSpinLockAcquire(g_lock_a); /* the freed lock's handle */
        WdfSpinLockRelease(g_lock_a);
        break;
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_OBJECT_ATTRIBUTES a;
    WDF_IO_QUEUE_CONFIG qc;
    NTSTATUS st;
    UNREFERENCED_PARAMETER(Driver);
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    if (mode == O_LEVEL) {
        a.ExecutionLevel = WdfExecutionLevelPassive;
        a.SynchronizationScope = WdfSynchronizationScopeDevice;
    }
    st = WdfDeviceCreate(&DeviceInit, &a, &g_device);
    if (!NT_SUCCESS(st))
        return st;
    if (mode == O_LEVEL) {
        WDF_TIMER_CONFIG tc;
        WDFTIMER timer;
        WDF_TIMER_CONFIG_INIT(&tc, EvtTimer); /* AutomaticSerialization TRUE */
        WDF_OBJECT_ATTRIBUTES_INIT(&a);
        a.ParentObject = g_device;
        g_dispatch_timer_status = WdfTimerCreate(&tc, &a, &timer);
        WDF_OBJECT_ATTRIBUTES_INIT(&a);
        a.ParentObject = g_device;
        a.ExecutionLevel = WdfExecutionLevelPassive;
        g_passive_timer_status = WdfTimerCreate(&tc, &a, &timer);
    }
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchParallel);
    qc.EvtIoRead = EvtIoRead;
    return WdfIoQueueCreate(g_device, &qc, WDF_NO_OBJECT_ATTRIBUTES, NULL);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static void setup(void)
{
    g_dup_status = g_b_status = g_dup_b_status = g_bad_status = STATUS_PENDING;
    g_dispatch_timer_status = g_passive_timer_status = STATUS_PENDING;
    g_a = g_a_again = g_b = g_b_again = g_unknown = g_b_get = NULL;
    g_a_value = 0;
    g_lock_a = g_lock_b = NULL;
    g_destroy_handle = NULL;
    g_norder = 0;
    memset(g_order, 0, sizeof g_order);
    g_destroy_before_deref = 0;
    km_world_start(&env, DriverEntry);
}

static void check(void) { km_world_check(); }

static const dr_scenario scn = {"test-pin-object", "object details", "clean", 2, 4, 1, setup, check, NULL, 0};

static km_test_result run(omode m, bool verifier, long max)
{
    mode = m;
    km_env_defaults(&env);
    env.verifier = verifier;
    env.cancel = false;
    return km_test_run(&scn, "random", max, true);
}

/* FxObject::AddContext (fxobject.cpp): "Dupe found, return error but give
 * the caller the context pointer": STATUS_OBJECT_NAME_EXISTS, the context
 * already there (its contents kept), nothing allocated. A new type is added
 * with STATUS_SUCCESS. FxObjectGetTypedContext (handleapi.cpp) returns NULL
 * for a type the object does not have. */
static void test_context_types(void)
{
    km_test_result r = run(O_CONTEXTS, true, 5);
    KEXPECT_CLEAN(r);
    KCHECK(g_a != NULL);
    KCHECK(g_unknown == NULL);
    KCHECK(g_dup_status == STATUS_OBJECT_NAME_EXISTS);
    KCHECK(g_a_again == g_a);
    KCHECK(g_a_value == 0x1234);
    KCHECK(g_b_status == STATUS_SUCCESS);
    KCHECK(g_b != NULL && g_b != g_a && g_b_get == g_b);
    KCHECK(g_dup_b_status == STATUS_OBJECT_NAME_EXISTS);
    KCHECK(g_b_again == g_b);
}

/* FxGetContextSize (handleapi.cpp): a nonzero ContextSizeOverride is the
 * context's size. Every byte of it is the driver's; the byte after it is
 * past the context. */
static void test_context_size_override(void)
{
    km_test_result r = run(O_OVERRIDE, true, 5);
    KEXPECT_CLEAN(r);
    KCHECK(r.executions == 5);
    r = run(O_OVERRIDE_PAST, true, 5);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "heap-buffer-overflow: write past a WDF context");
    KCHECK(strstr(r.first.message, "0 bytes past the end of") != NULL);
    KCHECK(strstr(r.first.message, "of type CTX_SMALL (64 bytes)") != NULL);
}

/* FxValidateObjectAttributes (fxvalidatefunctions.cpp): "Size is wrong,
 * bail out" with STATUS_INFO_LENGTH_MISMATCH; no object. */
static void test_attributes_size(void)
{
    km_test_result r = run(O_BAD_SIZE, true, 5);
    KEXPECT_CLEAN(r);
    KCHECK(g_bad_status == STATUS_INFO_LENGTH_MISMATCH);
    KCHECK(g_bad_lock == NULL);
}

/* EvtCleanupCallback when the object is deleted (FxObject::CallCleanup),
 * EvtDestroyCallback when its last reference goes
 * (fxobjectstatemachine.cpp#FxObject::ProcessDestroy), with the object's
 * handle, once. */
static void test_destroy_callback(void)
{
    km_test_result r = run(O_DESTROY, true, 5);
    KEXPECT_CLEAN(r);
    KCHECK(strcmp(g_order, "c|d") == 0);
    KCHECK(g_destroy_handle != NULL && g_destroy_handle == (WDFOBJECT)g_lock_a);
}

/* fxobject.cpp#_GetEffectiveLock: a device whose attributes ask for passive
 * callbacks and a device-wide synchronisation scope cannot serialise a
 * DISPATCH timer (STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL, after
 * FxVerifierDbgBreakPoint: a break with the verifier on); a passive timer
 * can. The device's ExecutionLevel comes from its attributes. */
static void test_execution_level_from_attributes(void)
{
    km_test_result r = run(O_LEVEL, false, 3);
    KEXPECT_CLEAN(r);
    KCHECK(g_dispatch_timer_status == STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL);
    KCHECK(g_passive_timer_status == STATUS_SUCCESS);
    r = run(O_LEVEL, true, 3);
    KEXPECT_FINDING(r, DR_FIND_FRAMEWORK, "VF-BREAK SYNC: WdfTimerCreate");
}

/* A handle of a freed object whose slot a new object took is still the
 * freed object's: using it is a use after free (kmdf-model-spec.md C11), not
 * a use of the new lock. */
static void test_stale_handle_reused_slot(void)
{
    km_test_result r = run(O_STALE, true, 5);
    KEXPECT_FINDING(r, DR_FIND_CRASH, "CRASH C11: WdfSpinLockAcquire: handle of a freed object");
    KCHECK(r.first_exec == 0);
    KCHECK(g_lock_b != NULL && g_lock_b != g_lock_a);
    /* The new lock took the freed one's slot (the handle's low 20 bits). */
    KCHECK(((uintptr_t)g_lock_a & 0xFFFFF) == ((uintptr_t)g_lock_b & 0xFFFFF));
}

/* fxvalidatefunctions.cpp FxValidateObjectAttributes, for every create and
 * (handleapi.cpp FxObjectAllocateContext: attributes required, no parent
 * from KMDF 1.11) WdfObjectAllocateContext; a missing context type there is
 * STATUS_OBJECT_NAME_INVALID, not a bugcheck. Each a status, no finding. */
static void test_attribute_validation(void)
{
    km_test_result r = run(O_VALIDATE, true, 3);
    KEXPECT_CLEAN(r);
    KCHECK(v_alloc_null == STATUS_WDF_PARENT_NOT_SPECIFIED);
    KCHECK(v_alloc_notype == STATUS_OBJECT_NAME_INVALID);
    KCHECK(v_alloc_parent == STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED);
    KCHECK(v_override_small == STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
    KCHECK(v_override_notype == STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
    KCHECK(v_level == STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
    KCHECK(v_scope == STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
}

int main(void)
{
    test_attribute_validation();
    test_context_types();
    test_context_size_override();
    test_attributes_size();
    test_destroy_callback();
    test_execution_level_from_attributes();
    test_stale_handle_reused_slot();
    return km_test_done();
}
