/* km_iomgr.c: the I/O manager. It makes the environment's requests, sends
 * them to the device's queues from user threads (concurrently or one after
 * another), and may cancel each pending request (IoCancelIrp) at a moment
 * the scheduler chooses, at PASSIVE_LEVEL or DISPATCH_LEVEL. */
#include "km.h"

#include <string.h>

DR_SITE(site_cancel_cpu, "iomgr-cancel-cpu");
DR_SITE(site_cancel_irql, "iomgr-cancel-irql");
DR_SITE(site_wait_done, "iomgr-wait-completion");

/* IoCancelIrp may be called at up to DISPATCH_LEVEL (from a DPC, a timer, a
 * completion routine). The queue's cancel routine then releases its lock
 * back to the caller's IRQL and calls EvtRequestCancel there
 * (fxioqueue.cpp FxIoQueue::_IrpCancelForDriver: Unlock(Irql), then
 * CancelForDriver), so the callback may run at DISPATCH_LEVEL: a tape
 * choice while env.cancel_at_dispatch. */
static void cancel_thread(void *arg)
{
    km_object *req = arg;
    bool raised = km_w.env.cancel_at_dispatch && dr_choose(&site_cancel_irql, 2);
    unsigned old = raised ? dr_raise_irql(DISPATCH_LEVEL) : PASSIVE_LEVEL;
    km_request_io_cancel(req);
    if (raised && !dr_failed())
        dr_lower_irql(old);
}

/* The I/O manager decides to cancel: IoCancelIrp runs on a thread of its own. */
static void cancel_fire(void *arg)
{
    km_object *req = arg;
    km_phase_cancel(req);
    unsigned cpu = dr_choose(&site_cancel_cpu, dr_cpus());
    dr_thread_create(cpu, cancel_thread, req, "IoCancelIrp");
}

void km_iomgr_arm_cancel(km_object *req)
{
    if (km_w.env.cancel) {
        dr_event_init(&req->u.req.cancel_event, cancel_fire, req, "io-cancel");
        dr_event_arm(&req->u.req.cancel_event);
        km_phase_cancel_armed();
    }
}

/* The previous request of a non-concurrent sender has completed. */
static bool completed(const void *arg)
{
    const unsigned *i = arg;
    return km_w.request_completions[*i] != 0;
}

typedef struct sender {
    unsigned first, count;
    unsigned prev; /* the index `completed` waits on */
} sender;
static sender senders[KM_ENV_MAX_REQUESTS];

/* A user thread issuing requests: it only inserts each into its queue
 * (FxIoQueue::QueueRequest presents it on this thread when the queue may).
 * Not concurrent: each request after the previous one completed. Its
 * IoCancelIrp is armed from the insertion: a request waiting on its queue
 * is cancelled there (_IrpCancelForQueue). */
static void sender_thread(void *arg)
{
    sender *s = arg;
    for (unsigned i = 0; i < s->count; i++) {
        unsigned idx = s->first + i;
        km_object *req = km_w.requests[idx];
        if (i > 0) {
            s->prev = idx - 1;
            dr_wait(completed, &s->prev, &site_wait_done);
        }
        if (dr_failed())
            return;
        km_iomgr_arm_cancel(req);
        km_queue_insert(req);
        if (dr_failed())
            return;
    }
}

/* The i-th request of the environment's mix, created on the queue its type
 * is dispatched to (NULL after an oracle if there is none): reads (or
 * env.request_type) first, then `ioctls` device controls, then
 * `internal_ioctls` internal device controls, then `writes` writes (the
 * last N: a UART's TX after its RX). A device control comes from a user
 * thread (RequestorMode UserMode), an internal one from a kernel component
 * (KernelMode); each gets its buffers by the code's method (km_reqbuf.c). */
static km_object *new_request(unsigned i)
{
    const km_env *env = &km_w.env;
    unsigned first_ioctl = env->requests - env->writes - env->internal_ioctls - env->ioctls;
    unsigned first_internal = first_ioctl + env->ioctls;
    WDF_REQUEST_TYPE type = i >= env->requests - env->writes ? WdfRequestTypeWrite
                            : i >= first_internal        ? WdfRequestTypeDeviceControlInternal
                            : i >= first_ioctl           ? WdfRequestTypeDeviceControl
                                                         : env->request_type;
    km_object *rq = km_world_queue_for(type);
    if (!rq) {
        static const char *const kinds[] = {[WdfRequestTypeRead] = "read",
                                            [WdfRequestTypeWrite] = "write",
                                            [WdfRequestTypeDeviceControl] = "device-control",
                                            [WdfRequestTypeDeviceControlInternal] = "internal device-control"};
        km_oracle("NO-QUEUE", "no queue for a request",
                  "the driver has no default I/O queue and configured none for %s requests",
                  kinds[type] ? kinds[type] : "these");
        return NULL;
    }
    if (type == WdfRequestTypeDeviceControl || type == WdfRequestTypeDeviceControlInternal)
        return km_request_create_ioctl(rq, type, env->ioctl, env->ioctl_in, env->ioctl_out);
    return km_request_create(rq, type, env->request_length);
}

void km_iomgr_start(void)
{
    const km_env *env = &km_w.env;
    for (unsigned i = 0; i < env->requests; i++) {
        km_object *req = new_request(i);
        if (!req)
            return;
        km_w.request_gen[km_w.nrequests] = req->gen;
        km_w.request_id[km_w.nrequests] = req->id;
        km_w.request_status[km_w.nrequests] = STATUS_PENDING;
        km_w.requests[km_w.nrequests++] = req;
    }
    /* Concurrent requests come from one user thread per request, spread over
     * the processors; otherwise one thread sends them in turn. */
    unsigned threads = env->concurrent ? env->requests : 1;
    for (unsigned t = 0; t < threads; t++) {
        senders[t].first = env->concurrent ? t : 0;
        senders[t].count = env->concurrent ? 1 : env->requests;
        dr_thread_create(t % dr_cpus(), sender_thread, &senders[t], "iomgr");
    }
}
