/* The paced load generator of bench/gui.py and bench/soak.py: valid deliveries at a fixed rate.

A Python aiohttp sender at 1,000 requests/s takes a good part of one of these 2 cores, which the
window and its engine then lack (../shared/guide/testing.md: measure servers with a C load
generator). This one is one thread, epoll, non-blocking sockets, the request bytes built once by
the bench in Python (the same PHP-shaped form bodies) and read from a file.

    sender HOST PORT RATE SECONDS MODE INTERVAL FILE

- RATE requests per second for SECONDS, each started on its own schedule (an open loop: request
  i at i / RATE s, spread evenly, never in bursts), taking the requests of FILE in turn.
- MODE "new": a new connection per request (Connection: close), as Bitrix24's queue server
  sends; "keep-alive": a pool of connections reused (a new one is opened only when all are busy).
  The requests in FILE carry the matching Connection header (the bench builds them).
- Each answer is read whole and counted acked if its status is 200, failed otherwise (or on a
  connection error). Latency: from the connect (new) or the first byte sent (keep-alive) to the
  last byte of the answer.
- INTERVAL > 0: one JSON line every INTERVAL s (cumulative counts, that interval's latencies).
  At the end one JSON line: counts, latency p50/p99/max, how late the schedule ran, connections
  opened, and the sender's own CPU (user + system).

FILE holds records "<length>\n<bytes>", one per request. A body's "ts=1111111111" (Bitrix24's
`ts`, the second the event happened) is set to the current second as the request starts, so a
long soak does not send ever older events. */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUESTS 4096
#define MAX_CONNS 512
#define RECV_CAP 65536
#define DRAIN_S 10.0

enum { FREE, CONNECTING, SENDING, READING, IDLE };

typedef struct {
    int fd, state, req;
    size_t sent, got;
    double started;
    char *buf;
} Conn;

static char *reqs[MAX_REQUESTS];
static size_t req_len[MAX_REQUESTS];
static long ts_at[MAX_REQUESTS]; /* offset of the ts digits, -1: none */
#define TS_SENTINEL "ts=1111111111"

static int nreqs;
static Conn conns[MAX_CONNS];
static int idle[MAX_CONNS], nidle, nopen, in_flight, keep_alive, epfd;
static struct sockaddr_in target;
static long sent, acked, failed, opened;
static double *lat;
static long nlat, lat_cap;
static double late_max;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void load_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    size_t n;
    while (nreqs < MAX_REQUESTS && fscanf(f, "%zu", &n) == 1 && fgetc(f) == '\n') {
        reqs[nreqs] = malloc(n);
        if (fread(reqs[nreqs], 1, n, f) != n) { fprintf(stderr, "%s: short record\n", path); exit(2); }
        char *ts = memmem(reqs[nreqs], n, TS_SENTINEL, strlen(TS_SENTINEL));
        ts_at[nreqs] = ts ? ts - reqs[nreqs] + 3 : -1;
        req_len[nreqs++] = n;
    }
    fclose(f);
    if (nreqs == 0) { fprintf(stderr, "%s: no requests\n", path); exit(2); }
}

static void watch(Conn *c, int op, unsigned events) {
    struct epoll_event ev = {.events = events, .data.u32 = (unsigned)(c - conns)};
    epoll_ctl(epfd, op, c->fd, &ev);
}

static void drop(Conn *c) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->state = FREE;
    nopen--;
}

static void finish(Conn *c, int ok, int reusable) {
    in_flight--;
    if (ok) {
        acked++;
        if (nlat == lat_cap) { lat_cap *= 2; lat = realloc(lat, lat_cap * sizeof *lat); }
        lat[nlat++] = now() - c->started;
    } else {
        failed++;
    }
    if (keep_alive && reusable) {
        c->state = IDLE;
        c->got = 0;
        watch(c, EPOLL_CTL_MOD, EPOLLIN | EPOLLRDHUP); /* a server closing an idle connection */
        idle[nidle++] = (int)(c - conns);
    } else {
        drop(c);
    }
}

static void send_some(Conn *c) {
    while (c->sent < req_len[c->req]) {
        ssize_t n = send(c->fd, reqs[c->req] + c->sent, req_len[c->req] - c->sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            watch(c, EPOLL_CTL_MOD, EPOLLOUT);
            return;
        }
        if (n <= 0) { finish(c, 0, 0); return; }
        c->sent += (size_t)n;
    }
    c->state = READING;
    watch(c, EPOLL_CTL_MOD, EPOLLIN);
}

/* 1: the whole answer is in (status, reusable set); 0: more to read. */
static int complete(Conn *c, int eof, int *status, int *reusable) {
    c->buf[c->got] = 0;
    char *end = strstr(c->buf, "\r\n\r\n");
    if (!end) return eof ? (*status = 0, *reusable = 0, 1) : 0;
    size_t head = (size_t)(end - c->buf) + 4;
    *status = strncmp(c->buf, "HTTP/1.", 7) == 0 ? atoi(c->buf + 9) : 0;
    char *close_ = strcasestr(c->buf, "\r\nconnection: close");
    *reusable = !(close_ && close_ < end);
    char *cl = strcasestr(c->buf, "\r\ncontent-length:");
    if (cl && cl < end) return c->got >= head + strtoul(cl + 17, NULL, 10);
    char *te = strcasestr(c->buf, "\r\ntransfer-encoding: chunked");
    if (te && te < end) return c->got >= 5 && memcmp(c->buf + c->got - 5, "0\r\n\r\n", 5) == 0;
    *reusable = 0; /* no length: the answer ends with the connection */
    return eof;
}

static void readable(Conn *c) {
    if (c->state == IDLE) { /* the server closed (or wrote to) an idle connection */
        for (int i = 0; i < nidle; i++)
            if (&conns[idle[i]] == c) { idle[i] = idle[--nidle]; break; }
        drop(c);
        return;
    }
    for (;;) {
        if (c->got >= RECV_CAP - 1) { finish(c, 0, 0); return; }
        ssize_t n = recv(c->fd, c->buf + c->got, RECV_CAP - 1 - c->got, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        int status, reusable;
        if (n <= 0) {
            if (complete(c, 1, &status, &reusable)) finish(c, status == 200, 0);
            else finish(c, 0, 0);
            return;
        }
        c->got += (size_t)n;
        if (complete(c, 0, &status, &reusable)) { finish(c, status == 200, reusable); return; }
    }
}

static Conn *open_conn(void) {
    if (nopen >= MAX_CONNS) return NULL;
    Conn *c = NULL;
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].state == FREE) { c = &conns[i]; break; }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    nopen++;
    opened++;
    if (!c->buf) c->buf = malloc(RECV_CAP);
    c->state = CONNECTING;
    c->got = 0;
    if (connect(fd, (struct sockaddr *)&target, sizeof target) < 0 && errno != EINPROGRESS) {
        c->state = SENDING; /* counted failed by the caller's send */
        return c;
    }
    watch(c, EPOLL_CTL_ADD, EPOLLOUT);
    return c;
}

/* Starts request number `number`; 0 if no connection could take it now. */
static int start(long number, double due) {
    Conn *c = NULL;
    if (keep_alive && nidle > 0) c = &conns[idle[--nidle]];
    if (!c) c = open_conn();
    if (!c) return 0;
    double t = now();
    if (t - due > late_max) late_max = t - due;
    c->req = (int)(number % nreqs);
    if (ts_at[c->req] >= 0) { /* same width: the Content-Length holds */
        char digits[16];
        snprintf(digits, sizeof digits, "%010ld", (long)time(NULL));
        memcpy(reqs[c->req] + ts_at[c->req], digits, 10);
    }
    c->sent = 0;
    c->got = 0;
    c->started = t;
    sent++;
    in_flight++;
    if (c->state == IDLE) { c->state = SENDING; send_some(c); }
    else if (c->state == SENDING) finish(c, 0, 0); /* connect() failed at once */
    return 1;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void quantiles(long from, double *p50, double *p99, double *max) {
    long n = nlat - from;
    *p50 = *p99 = *max = 0;
    if (n <= 0) return;
    double *s = malloc(n * sizeof *s);
    memcpy(s, lat + from, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp);
    *p50 = s[n / 2] * 1e3;
    *p99 = s[(long)(n * 0.99)] * 1e3;
    *max = s[n - 1] * 1e3;
    free(s);
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: sender HOST PORT RATE SECONDS new|keep-alive INTERVAL FILE\n");
        return 2;
    }
    target.sin_family = AF_INET;
    target.sin_port = htons((unsigned short)atoi(argv[2]));
    inet_pton(AF_INET, argv[1], &target.sin_addr);
    double rate = atof(argv[3]), seconds = atof(argv[4]), interval = atof(argv[6]);
    keep_alive = strcmp(argv[5], "keep-alive") == 0;
    load_file(argv[7]);
    for (int i = 0; i < MAX_CONNS; i++) conns[i].fd = -1;
    lat_cap = 65536;
    lat = malloc(lat_cap * sizeof *lat);
    epfd = epoll_create1(0);
    long total = (long)(rate * seconds), number = 0, reported = 0, interval_from = 0;
    double t0 = now(), next_report = t0 + interval;
    struct epoll_event events[256];
    for (;;) {
        double t = now();
        while (number < total && t0 + number / rate <= t && start(number, t0 + number / rate))
            number++;
        if (interval > 0 && t >= next_report && reported < (long)(seconds / interval + 0.5)) {
            double p50, p99, max;
            quantiles(interval_from, &p50, &p99, &max);
            interval_from = nlat;
            printf("{\"sent\": %ld, \"ok\": %ld, \"failed\": %ld, \"p50_ms\": %.3f, "
                   "\"p99_ms\": %.3f, \"max_ms\": %.3f}\n", sent, acked, failed, p50, p99, max);
            fflush(stdout);
            reported++;
            next_report += interval;
        }
        int reports_due = interval > 0 && reported < (long)(seconds / interval + 0.5);
        if (number >= total && ((in_flight == 0 && !reports_due) || t > t0 + seconds + DRAIN_S))
            break;
        double wait = number < total ? t0 + number / rate - t : 0.05;
        if (interval > 0 && next_report - t < wait) wait = next_report - t;
        int timeout = wait <= 0 ? 0 : (int)(wait * 1000) + (wait * 1000 > (int)(wait * 1000));
        int n = epoll_wait(epfd, events, 256, nopen < MAX_CONNS || nidle ? timeout : 50);
        for (int i = 0; i < n; i++) {
            Conn *c = &conns[events[i].data.u32];
            if (c->state == FREE) continue;
            if (c->state == CONNECTING) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) { finish(c, 0, 0); continue; }
                c->state = SENDING;
                send_some(c);
            } else if (c->state == SENDING) {
                send_some(c);
            } else {
                readable(c);
            }
        }
    }
    double took = now() - t0;
    failed += in_flight; /* unanswered after the drain */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double p50, p99, max;
    quantiles(0, &p50, &p99, &max);
    printf("{\"sent\": %ld, \"ok\": %ld, \"failed\": %ld, \"seconds\": %.3f, \"p50_ms\": %.3f, "
           "\"p99_ms\": %.3f, \"max_ms\": %.3f, \"late_max_ms\": %.3f, \"connections\": %ld, "
           "\"cpu_s\": %.3f, \"sender\": \"c\", \"connection\": \"%s\"}\n",
           sent, acked, failed, took, p50, p99, max, late_max * 1e3, opened,
           ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6,
           keep_alive ? "keep-alive" : "new");
    return 0;
}
