/* exporter.c: a driver that takes no I/O requests. Like an audio DMA
 * driver, it exports a function table through WdfDeviceAddQueryInterface;
 * another driver acquires the table with IRP_MN_QUERY_INTERFACE and calls it.
 * Under dmarace that other driver is the scenario's client (CLIENT in
 * dmarace_add_driver, model/include/km_client.h): ExporterClient queries the
 * table and calls Start and Stop from two client tasks at once.
 *
 * Stop frees the stream's WDFCOLLECTION of buffers. The correct driver takes
 * the handle with InterlockedExchangePointer, so one caller deletes it; the
 * racy one (ExporterSelectRacy) checks the handle and clears it later, so
 * two callers can both pass the check and delete it twice. */
#include <ntddk.h>
#include <wdf.h>
#include <km_client.h>

static const GUID GUID_EXPORTER_INTERFACE = {0x6b0f3c1d, 0x2e4a, 0x4f5b, {0x8c, 0x9d, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6}};

typedef struct _EXPORTER_INTERFACE {
    INTERFACE Header;
    NTSTATUS (*Start)(PVOID Context);
    VOID (*Stop)(PVOID Context);
} EXPORTER_INTERFACE, *PEXPORTER_INTERFACE;

typedef struct _EXPORTER_CONTEXT {
    LONG References;
    LONG Starts;
    WDFCOLLECTION Buffers;
} EXPORTER_CONTEXT, *PEXPORTER_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(EXPORTER_CONTEXT, ExporterGetContext)

static BOOLEAN ExporterRacy;

void ExporterSelectRacy(void);
void ExporterSelectFixed(void);
void ExporterSelectRacy(void) { ExporterRacy = TRUE; }
void ExporterSelectFixed(void) { ExporterRacy = FALSE; }

static VOID ExporterReference(PVOID Context) { InterlockedIncrement(&ExporterGetContext(Context)->References); }

static VOID ExporterDereference(PVOID Context)
{
    LONG left = InterlockedDecrement(&ExporterGetContext(Context)->References);
    NT_ASSERT(left >= 0);
}

static NTSTATUS ExporterStart(PVOID Context)
{
    PEXPORTER_CONTEXT ctx = ExporterGetContext(Context);
    NT_ASSERT(ctx->References > 0); /* callers hold the interface */
    InterlockedIncrement(&ctx->Starts);
    return STATUS_SUCCESS;
}

static VOID ExporterStop(PVOID Context)
{
    PEXPORTER_CONTEXT ctx = ExporterGetContext(Context);
    if (ExporterRacy) {
        if (ctx->Buffers != NULL) {
            WdfObjectDelete(ctx->Buffers);
            ctx->Buffers = NULL;
        }
        return;
    }
    WDFCOLLECTION buffers = (WDFCOLLECTION)InterlockedExchangePointer((PVOID volatile *)&ctx->Buffers, NULL);
    if (buffers != NULL)
        WdfObjectDelete(buffers);
}

static NTSTATUS ExporterDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_QUERY_INTERFACE_CONFIG qiConfig;
    EXPORTER_INTERFACE table;
    WDFDEVICE device;
    NTSTATUS status;
    UNREFERENCED_PARAMETER(Driver);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, EXPORTER_CONTEXT);
    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;
    status = WdfCollectionCreate(WDF_NO_OBJECT_ATTRIBUTES, &ExporterGetContext(device)->Buffers);
    if (!NT_SUCCESS(status))
        return status;

    table.Header.Size = sizeof(table);
    table.Header.Version = 1;
    table.Header.Context = device;
    table.Header.InterfaceReference = ExporterReference;
    table.Header.InterfaceDereference = ExporterDereference;
    table.Start = ExporterStart;
    table.Stop = ExporterStop;
    WDF_QUERY_INTERFACE_CONFIG_INIT(&qiConfig, &table.Header, &GUID_EXPORTER_INTERFACE, NULL);
    return WdfDeviceAddQueryInterface(device, &qiConfig);
}

NTSTATUS ExporterDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
NTSTATUS ExporterDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, ExporterDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

/* ---- the client: another driver using the exported table ------------------------- */

static EXPORTER_INTERFACE ClientTable;
static LONG ClientTasksLeft;

static VOID ClientUse(PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    NTSTATUS status = ClientTable.Start(ClientTable.Header.Context);
    NT_ASSERT(NT_SUCCESS(status));
    ClientTable.Stop(ClientTable.Header.Context);
    if (InterlockedDecrement(&ClientTasksLeft) == 0)
        ClientTable.Header.InterfaceDereference(ClientTable.Header.Context);
}

VOID ExporterClient(PVOID Context);
VOID ExporterClient(PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    NTSTATUS status = KmClientQueryInterface(&GUID_EXPORTER_INTERFACE, &ClientTable.Header, sizeof(ClientTable), 1,
                                             NULL);
    NT_ASSERT(NT_SUCCESS(status));
    if (!NT_SUCCESS(status))
        return;
    ClientTasksLeft = 2;
    status = KmClientStart(1, ClientUse, NULL, "client-2");
    NT_ASSERT(NT_SUCCESS(status));
    ClientUse(NULL);
}
