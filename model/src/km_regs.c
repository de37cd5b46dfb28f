/* km_regs.c: the register window. The device's memory ranges (km_env's
 * memory=, the CmResourceTypeMemory descriptors km_world.c hands to
 * EvtDevicePrepareHardware) are register memory owned by the model, zeroed at
 * each execution start. MmMapIoSpace / MmMapIoSpaceEx map a part of one range
 * (the pointer returned is into that memory), MmUnmapIoSpace unmaps it, and
 * READ_REGISTER_* / WRITE_REGISTER_* are scheduling points that a scenario's
 * device model (km_device.h) observes; the driver's plain loads through a
 * mapped pointer reach the device model too, through the access observer.
 *
 * The checks are dmarace's own (the kernel maps whatever physical address it
 * is given, and a stale mapping is a page fault only once its PTEs are
 * reused): HW1 a mapping outside the device's memory ranges, HW2 an unmap of
 * something not mapped (or with another length than mapped), HW3 a register
 * access outside every current mapping; PNP1 a register access while the
 * device is in D3 (docs/model-pnp.md). docs/model.md, "The register window". */
#include "km.h"
#include "km_device.h"
#include "km_hb.h"

#include <string.h>

enum { MAX_MAPPINGS = 64 };
#define REGS_BASE 0xFED00000ull /* the first range's physical start, as before memory= existed */

static uint8_t regs[KM_ENV_MAX_MEMORY][KM_ENV_MAX_MEMORY_LENGTH] __attribute__((aligned(KM_PAGE_SIZE)));
#define REGS_FIRST ((const uint8_t *)regs)
#define REGS_END (REGS_FIRST + sizeof regs)

static struct {
    unsigned nranges;
    uint64_t start[KM_ENV_MAX_MEMORY];
    uint32_t length[KM_ENV_MAX_MEMORY];
    struct {
        uint8_t *va;
        size_t length;
    } map[MAX_MAPPINGS];
    unsigned nmaps;
    km_device_model device;
} R;

static km_device_model pending_device;
static bool device_pending;

DR_SITE(site_map, "MmMapIoSpace");
DR_SITE(site_map_ex, "MmMapIoSpaceEx");
DR_SITE(site_unmap, "MmUnmapIoSpace");
DR_SITE(site_read, "READ_REGISTER");
DR_SITE(site_write, "WRITE_REGISTER");
DR_SITE(site_read_buffer, "READ_REGISTER_BUFFER");
DR_SITE(site_write_buffer, "WRITE_REGISTER_BUFFER");

static uint64_t align_of(uint32_t length)
{
    uint64_t a = KM_PAGE_SIZE;
    while (a < length)
        a <<= 1;
    return a;
}

void km_regs_reset(void)
{
    const km_env *env = &km_w.env;
    uint64_t cursor = REGS_BASE;
    R.nranges = env->memory_ranges <= KM_ENV_MAX_MEMORY ? env->memory_ranges : KM_ENV_MAX_MEMORY;
    R.nmaps = 0;
    for (unsigned i = 0; i < R.nranges; i++) {
        uint64_t a = align_of(env->memory_length[i]); /* naturally aligned, like a PCI BAR */
        R.start[i] = (cursor + a - 1) & ~(a - 1);
        R.length[i] = env->memory_length[i];
        cursor = R.start[i] + a;
        memset(regs[i], 0, (R.length[i] + KM_PAGE_SIZE - 1) & ~(size_t)(KM_PAGE_SIZE - 1));
    }
    memset(&R.device, 0, sizeof R.device);
    if (device_pending)
        R.device = pending_device;
    device_pending = false;
    memset(&pending_device, 0, sizeof pending_device);
}

uint64_t km_regs_range_start(unsigned i) { return i < R.nranges ? R.start[i] : 0; }

void km_device_model_set(const km_device_model *model)
{
    memset(&pending_device, 0, sizeof pending_device);
    if (model)
        pending_device = *model;
    device_pending = true;
}

/* The generic device (km_gendev.c) is the execution's device model unless
 * the scenario set its own: true if it was installed. */
bool km_regs_device_default(const km_device_model *model)
{
    if (R.device.on_read || R.device.on_write)
        return false;
    R.device = *model;
    return true;
}

volatile void *km_device_registers(unsigned range, size_t *length)
{
    if (range >= R.nranges)
        return NULL;
    if (length)
        *length = R.length[range];
    return regs[range];
}

/* ---- mapping ---------------------------------------------------------------------------------- */

static PVOID map(const dr_site *site, PHYSICAL_ADDRESS pa, SIZE_T n)
{
    if (!km_enter(site, DISPATCH_LEVEL))
        return NULL;
    uint64_t start = (uint64_t)pa.QuadPart;
    if (n == 0) {
        km_own_check("HW1", site->name, "mapping outside the device's memory ranges",
                     "%s of 0 bytes at %#llx: NumberOfBytes must be at least 1", site->name,
                     (unsigned long long)start);
        return NULL;
    }
    for (unsigned i = 0; i < R.nranges; i++) {
        if (start < R.start[i] || start >= R.start[i] + R.length[i])
            continue;
        if (n > R.start[i] + R.length[i] - start) {
            km_own_check("HW1", site->name, "mapping outside the device's memory ranges",
                         "%s of %zu bytes at %#llx goes %llu bytes past the end of memory range %u (%#llx, %u "
                         "bytes)",
                         site->name, (size_t)n, (unsigned long long)start,
                         (unsigned long long)(start + n - R.start[i] - R.length[i]), i,
                         (unsigned long long)R.start[i], (unsigned)R.length[i]);
            return NULL;
        }
        if (R.nmaps == MAX_MAPPINGS) /* the system is out of PTEs: MmMapIoSpace returns NULL */
            return NULL;
        uint8_t *va = regs[i] + (start - R.start[i]);
        R.map[R.nmaps].va = va;
        R.map[R.nmaps].length = n;
        R.nmaps++;
        dr_trace(site, NULL, 0, (int64_t)i);
        return va;
    }
    km_own_check("HW1", site->name, "mapping outside the device's memory ranges",
                 "%s of %zu bytes at %#llx: no memory resource of the device holds that physical address "
                 "(the driver maps what EvtDevicePrepareHardware's translated list gives)",
                 site->name, (size_t)n, (unsigned long long)start);
    return NULL;
}

PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, MEMORY_CACHING_TYPE CacheType)
{
    (void)CacheType; /* register memory is coherent: every caching type maps the same memory */
    return map(&site_map, PhysicalAddress, NumberOfBytes);
}

PVOID MmMapIoSpaceEx(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, ULONG Protect)
{
    (void)Protect; /* PAGE_READWRITE | PAGE_NOCACHE and the like: recorded nowhere */
    return map(&site_map_ex, PhysicalAddress, NumberOfBytes);
}

VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes)
{
    if (!km_enter(&site_unmap, DISPATCH_LEVEL))
        return;
    bool base_known = false;
    for (unsigned i = R.nmaps; i-- > 0;) {
        if (R.map[i].va != BaseAddress)
            continue;
        base_known = true;
        if (R.map[i].length != NumberOfBytes)
            continue;
        R.map[i] = R.map[--R.nmaps];
        dr_trace(&site_unmap, NULL, 0, 0);
        return;
    }
    if (base_known)
        km_own_check("HW2", "MmUnmapIoSpace", "unmapping what is not mapped",
                     "MmUnmapIoSpace of %zu bytes at %p, which MmMapIoSpace mapped with another length "
                     "(NumberOfBytes must be the number of bytes that were mapped)",
                     (size_t)NumberOfBytes, BaseAddress);
    else
        km_own_check("HW2", "MmUnmapIoSpace", "unmapping what is not mapped",
                     "MmUnmapIoSpace of %zu bytes at %p: no current MmMapIoSpace mapping starts there "
                     "(unmapped twice, or never mapped)",
                     (size_t)NumberOfBytes, BaseAddress);
}

/* ---- accesses ----------------------------------------------------------------------------------- */

/* The range of register memory holding [p, p + n), or -1 if p is outside it. */
static int range_of(const uint8_t *p)
{
    if (p < REGS_FIRST || p >= REGS_END)
        return -1;
    return (int)((size_t)(p - REGS_FIRST) / KM_ENV_MAX_MEMORY_LENGTH);
}

static bool mapped(const uint8_t *p, size_t n)
{
    for (unsigned i = 0; i < R.nmaps; i++)
        if (p >= R.map[i].va && p + n <= R.map[i].va + R.map[i].length)
            return true;
    return false;
}

/* HW3: an access to register memory outside every current mapping. Returns
 * true if it fired. */
static bool unmapped_access(const char *api, const uint8_t *p, size_t n, bool write)
{
    if (mapped(p, n))
        return false;
    int r = range_of(p);
    return km_own_check("HW3", api, "register access outside a mapped window",
                        "%s %zu bytes at offset %#zx of memory range %d, which no current MmMapIoSpace mapping "
                        "covers (unmapped, or past the mapped length)",
                        write ? "wrote" : "read", n, (size_t)(p - REGS_FIRST) % KM_ENV_MAX_MEMORY_LENGTH, r);
}

/* CHECK PNP1: an access to register memory while the device is powered
 * down (after EvtDeviceD0Exit returned, before the next
 * EvtDevicePrepareHardware or EvtDeviceD0Entry; km_pnp.c). KMDF checks
 * nothing; the hardware in D3 reads all ones, drops writes or hangs the bus.
 * Returns true if it fired. */
static bool powered_off(const char *api, const uint8_t *p, size_t n, bool write)
{
    if (!km_pnp_hardware_off())
        return false;
    int r = range_of(p);
    return km_own_check("PNP1", api, "register access while the device is in D3",
                        "%s %zu bytes at offset %#zx of memory range %d after EvtDeviceD0Exit returned and before "
                        "the next EvtDeviceD0Entry: the device is powered down",
                        write ? "wrote" : "read", n, (size_t)(p - REGS_FIRST) % KM_ENV_MAX_MEMORY_LENGTH, r);
}

static void hook(bool write, const uint8_t *p, unsigned width, uint64_t *value)
{
    void (*fn)(void *, unsigned, size_t, unsigned, uint64_t *) = write ? R.device.on_write : R.device.on_read;
    if (!fn)
        return;
    int r = range_of(p);
    dr_hardware_begin();
    fn(R.device.ctx, (unsigned)r, (size_t)(p - regs[r]), width, value);
    dr_hardware_end();
    if (width < 8)
        *value &= (1ull << (8 * width)) - 1;
}

/* One register read or write of `width` bytes at `reg` (no scheduling point:
 * the caller made it). Memory outside register memory is plain memory
 * (READ_REGISTER_* on a common buffer). */
/* Register memory is the device's: the model's copies to and from it are
 * hardware accesses, not the driver's memory accesses, so TSan (which
 * intercepts memcpy even in the uninstrumented model) does not see them;
 * two processors' unlocked register read-modify-writes are the driver's race
 * to find by schedule, not a data race of the model's. */
static void reg_copy(void *dst, const void *src, size_t n)
{
    km_quiet_writes_begin();
    memcpy(dst, src, n);
    km_quiet_writes_end();
}

static void access1(const char *api, volatile void *reg, unsigned width, bool write, uint64_t *value)
{
    uint8_t *p = (uint8_t *)(uintptr_t)reg;
    if (range_of(p) < 0) {
        if (write)
            reg_copy(p, value, width);
        else {
            *value = 0;
            reg_copy(value, p, width);
        }
        return;
    }
    if (unmapped_access(api, p, width, write) || powered_off(api, p, width, write))
        return;
    if (!write) {
        *value = 0;
        reg_copy(value, p, width); /* little-endian, as x86, x64 and arm64 Windows */
    }
    hook(write, p, width, value);
    reg_copy(p, value, width);
}

static uint64_t reg_read(const char *api, volatile void *reg, unsigned width)
{
    uint64_t v = 0;
    if (dr_failed())
        return 0;
    dr_yield(&site_read);
    if (dr_failed())
        return 0;
    access1(api, reg, width, false, &v);
    dr_trace(&site_read, NULL, 0, (int64_t)v);
    return v;
}

static void reg_write(const char *api, volatile void *reg, unsigned width, uint64_t v)
{
    if (dr_failed())
        return;
    dr_yield(&site_write);
    if (dr_failed())
        return;
    access1(api, reg, width, true, &v);
    dr_trace(&site_write, NULL, 0, (int64_t)v);
}

/* The buffer forms: one scheduling point, then Count accesses to the one
 * register, each reaching the device model. */
static void reg_buffer(const char *api, volatile void *reg, void *buffer, unsigned width, ULONG count, bool write)
{
    if (dr_failed())
        return;
    dr_yield(write ? &site_write_buffer : &site_read_buffer);
    for (ULONG i = 0; i < count && !dr_failed(); i++) {
        uint64_t v = 0;
        uint8_t *b = (uint8_t *)buffer + (size_t)i * width;
        if (write)
            memcpy(&v, b, width);
        access1(api, reg, width, write, &v);
        if (!write)
            memcpy(b, &v, width);
    }
    dr_trace(write ? &site_write_buffer : &site_read_buffer, NULL, 0, (int64_t)count);
}

UCHAR READ_REGISTER_UCHAR(volatile UCHAR *Register) { return (UCHAR)reg_read("READ_REGISTER_UCHAR", Register, 1); }
USHORT READ_REGISTER_USHORT(volatile USHORT *Register)
{
    return (USHORT)reg_read("READ_REGISTER_USHORT", Register, 2);
}
ULONG READ_REGISTER_ULONG(volatile ULONG *Register) { return (ULONG)reg_read("READ_REGISTER_ULONG", Register, 4); }
ULONG64 READ_REGISTER_ULONG64(volatile ULONG64 *Register) { return reg_read("READ_REGISTER_ULONG64", Register, 8); }
VOID WRITE_REGISTER_UCHAR(volatile UCHAR *Register, UCHAR Value) { reg_write("WRITE_REGISTER_UCHAR", Register, 1, Value); }
VOID WRITE_REGISTER_USHORT(volatile USHORT *Register, USHORT Value)
{
    reg_write("WRITE_REGISTER_USHORT", Register, 2, Value);
}
VOID WRITE_REGISTER_ULONG(volatile ULONG *Register, ULONG Value) { reg_write("WRITE_REGISTER_ULONG", Register, 4, Value); }
VOID WRITE_REGISTER_ULONG64(volatile ULONG64 *Register, ULONG64 Value)
{
    reg_write("WRITE_REGISTER_ULONG64", Register, 8, Value);
}

/* The NOFENCE forms: the same scheduling point and device-model access (the
 * simulated processors have no fences to omit). */
UCHAR READ_REGISTER_NOFENCE_UCHAR(volatile UCHAR *Register)
{
    return (UCHAR)reg_read("READ_REGISTER_NOFENCE_UCHAR", Register, 1);
}
USHORT READ_REGISTER_NOFENCE_USHORT(volatile USHORT *Register)
{
    return (USHORT)reg_read("READ_REGISTER_NOFENCE_USHORT", Register, 2);
}
ULONG READ_REGISTER_NOFENCE_ULONG(volatile ULONG *Register)
{
    return (ULONG)reg_read("READ_REGISTER_NOFENCE_ULONG", Register, 4);
}
ULONG64 READ_REGISTER_NOFENCE_ULONG64(volatile ULONG64 *Register)
{
    return reg_read("READ_REGISTER_NOFENCE_ULONG64", Register, 8);
}
VOID WRITE_REGISTER_NOFENCE_UCHAR(volatile UCHAR *Register, UCHAR Value)
{
    reg_write("WRITE_REGISTER_NOFENCE_UCHAR", Register, 1, Value);
}
VOID WRITE_REGISTER_NOFENCE_USHORT(volatile USHORT *Register, USHORT Value)
{
    reg_write("WRITE_REGISTER_NOFENCE_USHORT", Register, 2, Value);
}
VOID WRITE_REGISTER_NOFENCE_ULONG(volatile ULONG *Register, ULONG Value)
{
    reg_write("WRITE_REGISTER_NOFENCE_ULONG", Register, 4, Value);
}
VOID WRITE_REGISTER_NOFENCE_ULONG64(volatile ULONG64 *Register, ULONG64 Value)
{
    reg_write("WRITE_REGISTER_NOFENCE_ULONG64", Register, 8, Value);
}

VOID READ_REGISTER_BUFFER_UCHAR(volatile UCHAR *Register, PUCHAR Buffer, ULONG Count)
{
    reg_buffer("READ_REGISTER_BUFFER_UCHAR", Register, Buffer, 1, Count, false);
}
VOID READ_REGISTER_BUFFER_USHORT(volatile USHORT *Register, PUSHORT Buffer, ULONG Count)
{
    reg_buffer("READ_REGISTER_BUFFER_USHORT", Register, Buffer, 2, Count, false);
}
VOID READ_REGISTER_BUFFER_ULONG(volatile ULONG *Register, PULONG Buffer, ULONG Count)
{
    reg_buffer("READ_REGISTER_BUFFER_ULONG", Register, Buffer, 4, Count, false);
}
VOID READ_REGISTER_BUFFER_ULONG64(volatile ULONG64 *Register, ULONG64 *Buffer, ULONG Count)
{
    reg_buffer("READ_REGISTER_BUFFER_ULONG64", Register, Buffer, 8, Count, false);
}
VOID WRITE_REGISTER_BUFFER_UCHAR(volatile UCHAR *Register, PUCHAR Buffer, ULONG Count)
{
    reg_buffer("WRITE_REGISTER_BUFFER_UCHAR", Register, Buffer, 1, Count, true);
}
VOID WRITE_REGISTER_BUFFER_USHORT(volatile USHORT *Register, PUSHORT Buffer, ULONG Count)
{
    reg_buffer("WRITE_REGISTER_BUFFER_USHORT", Register, Buffer, 2, Count, true);
}
VOID WRITE_REGISTER_BUFFER_ULONG(volatile ULONG *Register, PULONG Buffer, ULONG Count)
{
    reg_buffer("WRITE_REGISTER_BUFFER_ULONG", Register, Buffer, 4, Count, true);
}
VOID WRITE_REGISTER_BUFFER_ULONG64(volatile ULONG64 *Register, ULONG64 *Buffer, ULONG Count)
{
    reg_buffer("WRITE_REGISTER_BUFFER_ULONG64", Register, Buffer, 8, Count, true);
}

/* The access observer's part (km_world.c chains it after the request
 * buffer's): a driver's plain load or store through a mapped pointer. Loads
 * reach on_read before they happen (the value it leaves is what the load
 * reads); stores reach no hook. */
void km_regs_access(const void *addr, size_t size, bool write)
{
    const uint8_t *p = addr;
    if (p < REGS_FIRST || p >= REGS_END)
        return;
    if (unmapped_access(write ? "driver store" : "driver load", p, size, write) ||
        powered_off(write ? "driver store" : "driver load", p, size, write))
        return;
    if (write || !R.device.on_read || size > 8)
        return;
    uint64_t v = 0;
    reg_copy(&v, p, size);
    hook(false, p, (unsigned)size, &v);
    reg_copy((uint8_t *)(uintptr_t)p, &v, size);
}
