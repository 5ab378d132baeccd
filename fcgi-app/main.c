/* echelon.fcgi -- the FastCGI worker.
 *
 * One request at a time: accept, dispatch through the route table with the
 * precedence of spec/40 §1, answer, finish the FastCGI request, and only
 * then run deferred jobs (spool shipping, maintenance, sweeps). While idle
 * the worker wakes at most every second to run due jobs, so an idle cluster
 * still ships its spool: a receive timeout on the Unix-domain listening
 * socket makes accept(2) return after a second without a connection (no
 * syscall per request), else SIGALRM interrupts accept (alarm(2) before and
 * after each accept). SIGTERM lets the current request finish and exits.
 * On a Unix-domain socket a finished connection is closed at once, without
 * libfcgi's lingering close (see close_at_once). */
#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "core/config.h"
#include "core/cors.h"
#include "core/log.h"
#include "core/router.h"
#include "routes.h"
#include "store/db.h"
#include "store/jobs.h"
#include "store/kv.h"
#include "dispatch_hooks.h"

static volatile sig_atomic_t stop_requested;

static void on_term(int sig) { (void)sig; stop_requested = 1; }
static void on_alarm(int sig) { (void)sig; }

static int fcgi_out(void *ctx, const char *data, size_t n)
{
    FCGX_Request *rq = ctx;
    return FCGX_PutStr(data, (int)n, rq->out) == (int)n ? 0 : -1;
}

/* Make accept(2) on the listening socket fd give up after a second. Only on
 * a Unix-domain socket: its accepted connections do not inherit the
 * timeout (TCP ones would, and a slow request body would then fail).
 * Returns 1 when set. */
static int accept_times_out(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int listening = 0;
    socklen_t ol = sizeof listening;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 || ss.ss_family != AF_UNIX ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ol) != 0 || !listening)
        return 0;
    struct timeval tv = { .tv_sec = 1, .tv_usec = 0 };
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0;
}

/* libfcgi ends a connection with shutdown(SHUT_WR), then waits in poll(2)
 * until the web server closes its end, and only then closes: on TCP, input
 * left unread would otherwise make the kernel answer with a reset that can
 * destroy the response in flight. The wait costs every request a second
 * sleep and wake-up of the worker (and the web server a wake-up of it).
 * On a Unix-domain connection nothing is reset and the response already
 * sits in the web server's receive queue; unread input would only flag an
 * error on its socket, so close at once only when the input was read to
 * its end: for a request without a body the end (an empty FCGI_STDIN
 * record) normally came in the same read as the parameters. */
static void close_at_once(FCGX_Request *rq)
{
    if (FCGX_HasSeenEOF(rq->in) == EOF || FCGX_GetChar(rq->in) == EOF) FCGX_Detach(rq);
}

/* Read the body up to max bytes. Returns 0, or 413 when it is larger (by
 * Content-Length or by actual bytes: a lying header does not help). */
static int read_body(req_t *req, size_t max)
{
    FCGX_Request *rq = req->body_ctx;
    long long cl = req_content_length(req);
    if (max == 0 || !rq) return 0;
    if (cl > (long long)max) return 413;
    size_t cap = max + 1, len = 0;
    char *body = arena_alloc(req->arena, cap + 1);
    while (len < cap) {
        int n = FCGX_GetStr(body + len, (int)(cap - len), rq->in);
        if (n <= 0) break;
        len += (size_t)n;
    }
    if (len > max) return 413;
    body[len] = '\0';
    req->body = body;
    req->body_len = len;
    return 0;
}

void dispatch(req_t *req, resp_t *resp, FCGX_Request *rq)
{
    hook_before_route(req, resp);

    if (strcmp(req->method, "OPTIONS") == 0) {
        if (hook_is_static_asset(req->path)) {
            resp_text(resp, 405, "Method Not Allowed");
            return;
        }
        resp_set(resp, 204, NULL, NULL, 0);
        cors_headers(req, resp);
        return;
    }
    const route_t *rt = NULL;
    switch (router_match(routes, nroutes, req, &rt)) {
    case ROUTER_NOT_FOUND:
        resp_text(resp, 404, "Not Found");
        return;
    case ROUTER_BAD_METHOD:
        resp_text(resp, 405, "Method Not Allowed");
        return;
    case ROUTER_FOUND:
        break;
    }
    /* Area middleware before the body (spec/40 §1 step 7): an anonymous
     * oversized request is a 401, not a 413. */
    if (rt->area == AREA_API && hook_auth_api(req, resp) != 0) return;
    if (rt->area == AREA_ADMIN && hook_auth_admin(req, resp) != 0) return;
    if (rq) {
        req->body_reader = read_body;
        req->body_ctx = rq;
    }
    if (!(rt->methods & M_LAZY_BODY) && req_read_body(req, rt->body_max) == 413) {
        if (rt->body_413) resp_error(resp, 413, "payload_too_large", rt->body_413);
        else resp_set(resp, 413, NULL, NULL, 0);
        return;
    }
    rt->fn(req, resp);
}

int main(void)
{
    char err[256];
    if (config_load(err, sizeof err) != 0) {
        log_err("main", "configuration: %s", err);
        return 1;
    }
    config_log();
    jobs_set_background_allowed(1);
    hook_worker_start();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;       /* no SA_RESTART: interrupts accept */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (FCGX_Init() != 0) {
        log_err("main", "FCGX_Init failed");
        return 1;
    }
    FCGX_Request rq;
    FCGX_InitRequest(&rq, 0, FCGI_FAIL_ACCEPT_ON_INTR);
    int unix_socket = accept_times_out(0);
    int use_alarm = !unix_socket;
    arena_t arena = { 0 };
    resp_t resp;
    resp_init(&resp);

    while (!stop_requested) {
        if (use_alarm) alarm(1);
        int rc = FCGX_Accept_r(&rq);
        if (use_alarm) alarm(0);
        if (rc < 0) {
            if (stop_requested) break;
            jobs_run_due(500);               /* idle wake-up */
            continue;
        }
        req_t req;
        req_init_envp(&req, &arena, rq.envp);
        resp_reset(&resp);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        dispatch(&req, &resp, &rq);
        resp_send(&resp, &req, fcgi_out, &rq);
        if (unix_socket) close_at_once(&rq);
        FCGX_Finish_r(&rq);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long us = (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
        hook_after_response(&req, &resp, us);
        arena_reset(&arena);
        if (!stop_requested) jobs_run_due(200);
    }
    hook_worker_stop();
    db_close();
    kv_close();
    resp_free(&resp);
    arena_free(&arena);
    return 0;
}
