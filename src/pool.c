/* Sandboxes made ahead of their command for callers that run many: a thread
 * of the pool's own keeps `size` of them created and waiting, and makes a
 * new one for each taken. A sandbox runs one command and is never given
 * out again.
 *
 * Every sandbox dies with the thread that created it (init's parent-death
 * signal), so the filler thread lives until the last sandbox taken from the
 * pool has been freed, even after nsl_pool_free. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "launch.h"
#include "spec.h"

struct nsl_pool {
        const nsl_spec *spec;
        pthread_mutex_t lock;
        pthread_cond_t changed;
        pthread_t filler;
        nsl_sandbox **ready;            /* created and waiting, oldest first */
        size_t n_ready, size;
        size_t taken;                   /* given out and not yet freed */
        bool filling;                   /* the filler is creating one */
        bool failed;                    /* its last creation failed: fill_error, for the next taker */
        int fill_rc;
        nsl_error fill_error;
        bool closing;                   /* nsl_pool_free was called */
        bool orphaned;                  /* ... with sandboxes still out: the filler frees the pool */
};

static void pool_destroy(nsl_pool *pool)
{
        pthread_mutex_destroy(&pool->lock);
        pthread_cond_destroy(&pool->changed);
        free(pool->ready);
        free(pool);
}

/* One sandbox created, with the lock held around but not during it. */
static void fill_one(nsl_pool *pool)
{
        nsl_sandbox *sb = NULL;
        nsl_error error;
        int r;

        pool->filling = true;
        pthread_mutex_unlock(&pool->lock);
        r = nsl_sandbox_create(pool->spec, &sb, &error);
        pthread_mutex_lock(&pool->lock);
        pool->filling = false;
        if (r < 0) {
                pool->failed = true;
                pool->fill_rc = r;
                pool->fill_error = error;
        } else {
                pool->ready[pool->n_ready++] = sb;
        }
        pthread_cond_broadcast(&pool->changed);
}

static void *fill(void *data)
{
        nsl_pool *pool = data;
        bool orphaned;

        pthread_mutex_lock(&pool->lock);
        while (!pool->closing) {
                if (pool->n_ready < pool->size && !pool->failed)
                        fill_one(pool);
                else
                        pthread_cond_wait(&pool->changed, &pool->lock);
        }
        while (pool->taken > 0)
                pthread_cond_wait(&pool->changed, &pool->lock);
        orphaned = pool->orphaned;
        pthread_mutex_unlock(&pool->lock);
        if (orphaned)
                pool_destroy(pool);
        return NULL;
}

static void given_back(void *data)
{
        nsl_pool *pool = data;

        pthread_mutex_lock(&pool->lock);
        pool->taken--;
        pthread_cond_broadcast(&pool->changed);
        pthread_mutex_unlock(&pool->lock);
}

/* The filler takes no signal of the caller's: they stay the caller's
 * threads' to handle. */
static int start_filler(nsl_pool *pool, nsl_error *error)
{
        sigset_t all, old;
        int r;

        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = pthread_create(&pool->filler, NULL, fill, pool);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return r ? nsl_fail(error, r, "pool", "", "cannot start its thread") : 0;
}

/* Waits while there is nothing to take and nothing to report; the lock is held. */
static int take(nsl_pool *pool, nsl_sandbox **sb, nsl_error *error)
{
        while (pool->n_ready == 0 && !pool->failed && !pool->closing)
                pthread_cond_wait(&pool->changed, &pool->lock);
        if (pool->n_ready == 0 && pool->failed) {
                *error = pool->fill_error;
                pool->failed = false;           /* the next taker has it try again */
                pthread_cond_broadcast(&pool->changed);
                return pool->fill_rc;
        }
        if (pool->n_ready == 0)
                return nsl_fail(error, ESHUTDOWN, "pool", "", "the pool is being freed");
        *sb = pool->ready[0];
        memmove(pool->ready, pool->ready + 1, --pool->n_ready * sizeof *pool->ready);
        pool->taken++;
        nsl_sandbox_on_free(*sb, given_back, pool);
        return 0;
}

int nsl_pool_new(const nsl_spec *spec, unsigned size, nsl_pool **out, nsl_error *error)
{
        nsl_pool *pool;
        int r;

        *error = (nsl_error){ 0 };
        *out = NULL;
        if (size == 0 || size > 1024)
                return nsl_fail(error, EINVAL, "pool", "", "a pool holds 1 to 1024 sandboxes, not %u", size);
        if (!spec->command_at_start)
                return nsl_fail(error, EINVAL, "pool", "", "its spec must leave the command to start "
                                                           "(nsl_spec_set_command_at_start)");
        pool = calloc(1, sizeof *pool);
        if (!pool || !(pool->ready = calloc(size, sizeof *pool->ready))) {
                free(pool);
                return nsl_fail(error, ENOMEM, "pool", "", NULL);
        }
        pool->spec = spec;
        pool->size = size;
        pthread_mutex_init(&pool->lock, NULL);
        pthread_cond_init(&pool->changed, NULL);
        if ((r = start_filler(pool, error)) < 0) {
                pool_destroy(pool);
                return r;
        }
        /* the first sandbox, or why none can be made, before the caller goes on */
        pthread_mutex_lock(&pool->lock);
        while (pool->n_ready == 0 && !pool->failed)
                pthread_cond_wait(&pool->changed, &pool->lock);
        if (pool->failed) {
                *error = pool->fill_error;
                r = pool->fill_rc;
        }
        pthread_mutex_unlock(&pool->lock);
        if (r < 0) {
                nsl_pool_free(pool);
                return r;
        }
        *out = pool;
        return 0;
}

int nsl_pool_start(nsl_pool *pool, char *const argv[], char *const env[], const int stdio[3], nsl_sandbox **sandbox,
                   nsl_error *error)
{
        nsl_sandbox *sb = NULL;
        int r;

        *error = (nsl_error){ 0 };
        *sandbox = NULL;
        pthread_mutex_lock(&pool->lock);
        r = take(pool, &sb, error);
        pthread_mutex_unlock(&pool->lock);
        if (r == 0 && (r = nsl_sandbox_start_command(sb, argv, env, stdio, error)) < 0)
                nsl_sandbox_free(sb);
        else if (r == 0)
                *sandbox = sb;
        /* the refill only once the command runs: a creation (its clone3
         * above all) would hold up the hand-over on a machine of few cores */
        if (r == 0)
                nsl_sandbox_wait_execed(sb);
        pthread_cond_broadcast(&pool->changed);
        return r;
}

int nsl_pool_run(nsl_pool *pool, char *const argv[], char *const env[], const int stdio[3], nsl_result *result,
                 nsl_error *error)
{
        nsl_sandbox *sb;
        int r;

        *result = (nsl_result){ .exit_status = -1, .setup_ms = -1, .peak_memory_bytes = -1 };
        r = nsl_pool_start(pool, argv, env, stdio, &sb, error);
        if (r == 0)
                r = nsl_sandbox_wait(sb, -1, result, error);
        nsl_sandbox_free(sb);
        return r;
}

void nsl_pool_free(nsl_pool *pool)
{
        nsl_sandbox **waiting;
        size_t n;
        pthread_t filler;
        bool join;

        if (!pool)
                return;
        pthread_mutex_lock(&pool->lock);
        pool->closing = true;
        pthread_cond_broadcast(&pool->changed);
        while (pool->filling)
                pthread_cond_wait(&pool->changed, &pool->lock);
        waiting = pool->ready;
        n = pool->n_ready;
        pool->ready = NULL;
        pool->n_ready = 0;
        join = pool->taken == 0;
        pool->orphaned = !join;
        filler = pool->filler;
        pthread_mutex_unlock(&pool->lock);

        /* waiting sandboxes are ended here, from this thread: nothing is left
         * behind when the caller exits right after */
        for (size_t i = 0; i < n; i++)
                nsl_sandbox_free(waiting[i]);
        free(waiting);
        if (join) {
                pthread_join(filler, NULL);
                pool_destroy(pool);
        } else {
                pthread_detach(filler);
        }
}
