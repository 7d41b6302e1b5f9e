/* sink_watch.c — a sink wrapper that remembers failure.
 *
 * The runtime writes and flushes alerts from worker threads inside the store's seal hook,
 * which returns nothing: a source that must not acknowledge its input before the alerts are
 * durable (a Kafka consumer storing offsets, DESIGN.md §1.8) asks the wrapped sinks instead.
 * Failure is sticky: once an alert may be lost, no later success can vouch for it.
 */
#include "engine/runtime/runtime.h"

#include <stdatomic.h>
#include <stdlib.h>

typedef struct watch_sink {
    rt_sink base;
    rt_sink *inner;
    atomic_bool failed;
} watch_sink;

static int watch_write(rt_sink *s, const char *json, size_t len)
{
    watch_sink *w = (watch_sink *)s;
    int rc = w->inner->write(w->inner, json, len);
    if (rc != 0)
        atomic_store(&w->failed, true);
    return rc;
}

static int watch_flush(rt_sink *s)
{
    watch_sink *w = (watch_sink *)s;
    int rc = w->inner->flush(w->inner);
    if (rc != 0)
        atomic_store(&w->failed, true);
    return atomic_load(&w->failed) ? -1 : rc;
}

static void watch_close(rt_sink *s)
{
    watch_sink *w = (watch_sink *)s;
    w->inner->close(w->inner);
    free(w);
}

rt_sink *rt_sink_watch(rt_sink *inner)
{
    watch_sink *w = sp_xcalloc(1, sizeof *w);
    w->inner = inner;
    w->base = (rt_sink){.write = watch_write, .flush = watch_flush, .close = watch_close, .name = inner->name};
    atomic_init(&w->failed, false);
    return &w->base;
}

bool rt_sink_failed(const rt_sink *watched)
{
    return atomic_load(&((watch_sink *)watched)->failed);
}
