/* parallel.c — the helper thread of intra-query parallelism (exec_int.h, kpar_*).
 *
 * One thread per process, started at the first job and then kept: on the 2-core machines
 * socpipe targets, a thread created per query would cost more than the helper saves on a
 * sub-millisecond one. It takes one job at a time; a query that finds it busy (another
 * query is using it) runs alone rather than waiting, so the helper only ever adds a core
 * and never adds latency. The runtime's rules do not use it: their workers already use
 * the cores.
 *
 * A job posted but not yet taken can be withdrawn by its poster (kpar_finish): the thread
 * wakes ~0.1 ms after the post on a virtual machine, and a query that is done by then
 * must not wait for it. After kpar_finish returns, the thread no longer touches the job.
 * The thread is kept off the CPU of whoever posts to it, so that the post wakes it on
 * another one (keep_off_poster_cpu).
 */
#include "engine/exec/exec_int.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

/* How long the poster spins for the helper to finish before it sleeps: the helper usually
 * finishes within a few microseconds of the poster (they split the work in two), and a
 * sleeping poster would wait for its own wake-up too. */
#define KPAR_SPIN_NS 2000000

static struct {
    pthread_once_t once;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    kpar_job *posted; /* the job waiting to be taken */
    bool busy;        /* a job was taken and is not finished */
    pthread_t thread;
    cpu_set_t allowed; /* the CPUs the process may run on, when the helper started */
    int kept_off;      /* the CPU the helper may not run on (its last poster's), -1: none */
} pool = {.once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *helper_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&pool.mu);
        while (!pool.posted)
            pthread_cond_wait(&pool.cv, &pool.mu);
        kpar_job *job = pool.posted;
        pool.posted = NULL;
        pool.busy = true;
        pthread_mutex_unlock(&pool.mu);

        job->run(job);

        /* Free before the job is done: the poster's next query, posted as soon as it
         * has this one's result, must not find the thread still busy with it. A job
         * posted meanwhile waits until the signal below is sent. */
        pthread_mutex_lock(&pool.mu);
        pool.busy = false;
        pthread_mutex_unlock(&pool.mu);

        pthread_mutex_lock(&job->mu);
        atomic_store_explicit(&job->done, true, memory_order_release);
        pthread_cond_signal(&job->cv);
        pthread_mutex_unlock(&job->mu); /* the job is the poster's again from here */
    }
    return NULL;
}

static void start_helper(void)
{
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return; /* one core: a helper would only take turns with the poster */
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pool.started = pthread_create(&t, &attr, helper_main, NULL) == 0;
    pthread_attr_destroy(&attr);
    pool.thread = t;
    pool.kept_off = -1;
    if (sched_getaffinity(0, sizeof pool.allowed, &pool.allowed) != 0)
        CPU_ZERO(&pool.allowed);
}

/* Keeps the helper off the CPU the poster runs on (pool.mu held). Woken from there, the
 * kernel often queues the helper behind its poster, on the poster's CPU, even with the
 * other CPU idle (measured with `perf sched`: the helper then started only when the
 * poster's query was done, 1.4 ms later); a thread that may not run there is woken
 * elsewhere. The mask changes only when the poster's CPU does: one system call then. */
static void keep_off_poster_cpu(void)
{
    int cpu = sched_getcpu();
    if (cpu < 0 || cpu == pool.kept_off || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &pool.allowed))
        return;
    cpu_set_t m = pool.allowed;
    CPU_CLR(cpu, &m);
    if (CPU_COUNT(&m) == 0 || pthread_setaffinity_np(pool.thread, sizeof m, &m) != 0)
        return;
    pool.kept_off = cpu;
}

bool kpar_post(kpar_job *job)
{
    pthread_once(&pool.once, start_helper);
    if (!pool.started)
        return false;
    pthread_mutex_init(&job->mu, NULL);
    pthread_cond_init(&job->cv, NULL);
    atomic_init(&job->done, false);
    pthread_mutex_lock(&pool.mu);
    bool ok = !pool.posted && !pool.busy;
    if (ok) {
        keep_off_poster_cpu();
        pool.posted = job;
        pthread_cond_signal(&pool.cv);
    }
    pthread_mutex_unlock(&pool.mu);
    if (!ok) {
        pthread_cond_destroy(&job->cv);
        pthread_mutex_destroy(&job->mu);
    }
    return ok;
}

bool kpar_finish(kpar_job *job, bool wait_taken)
{
    pthread_mutex_lock(&pool.mu);
    while (wait_taken && pool.posted == job) { /* the helper takes it within its wake-up */
        pthread_mutex_unlock(&pool.mu);
        sched_yield();
        pthread_mutex_lock(&pool.mu);
    }
    bool withdrawn = pool.posted == job;
    if (withdrawn)
        pool.posted = NULL;
    pthread_mutex_unlock(&pool.mu);
    if (!withdrawn) {
        uint64_t t0 = kexec_interval_ns();
        while (!atomic_load_explicit(&job->done, memory_order_acquire) && kexec_interval_ns() - t0 < KPAR_SPIN_NS)
            kpar_relax();
        /* Taking the lock once also waits for the helper to have let go of it. */
        pthread_mutex_lock(&job->mu);
        while (!atomic_load_explicit(&job->done, memory_order_acquire))
            pthread_cond_wait(&job->cv, &job->mu);
        pthread_mutex_unlock(&job->mu);
    }
    pthread_cond_destroy(&job->cv);
    pthread_mutex_destroy(&job->mu);
    return !withdrawn;
}
