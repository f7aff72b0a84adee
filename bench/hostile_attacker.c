/* The attacker of bench/hostile.py: hostile requests on a fixed schedule, and idle connections.

On a real deployment the attacker is somebody else's machine; on these 2 cores its CPU comes out
of the receiver's share, so it must cost as little as possible per request: one thread, epoll,
non-blocking sockets, request bytes built once by the bench (the same Python-built bodies the
Python attacker sent) and read from files.

    hostile_attacker HOST PORT RATE SECONDS IDLE HANGUP_FILE FILE...

- RATE hostile requests per second for SECONDS, each on a new connection, started on its own
  schedule (an open loop), taking the kinds in turn: HANGUP_FILE is sent and the connection is
  reset 10 ms later without reading (a client that hangs up mid-body); each FILE is sent whole
  and the status line read (the connection then closed), or given up after 10 s.
- IDLE connections that never send a byte, held; every 0.2 s a twentieth of them is reset and
  opened again (clients whose connections were cut coming back).

Prints one JSON line at the end: what was offered, how late the schedule ran, the answers, and
the attacker's own CPU time (user + system, and system alone: loopback TCP). */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_KINDS 8
#define MAX_CONNS 16384
#define HANGUP_AFTER_S 0.010
#define GIVE_UP_S 10.0
#define RENEW_EVERY_S 0.2
#define TOP_UP_SLICE 50

typedef struct {
    char *data;
    size_t len;
} Buf;

typedef struct {
    int fd;          /* -1: free slot */
    int kind;
    size_t sent;
    double deadline; /* hang-up: reset time; others: give up */
    int done_sending;
} Conn;

static Buf kinds[MAX_KINDS];
static int nkinds;
static Conn conns[MAX_CONNS];
static int nconns_used, hi; /* hi: one past the highest slot used */
static struct sockaddr_in target;
static long answered, no_answer, refused_connect, status_counts[6];

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static Buf read_file(const char *path) {
    Buf b = {0, 0};
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    struct stat st;
    fstat(fileno(f), &st);
    b.len = (size_t)st.st_size;
    b.data = malloc(b.len + 1);
    if (fread(b.data, 1, b.len, f) != b.len) { perror(path); exit(2); }
    fclose(f);
    return b;
}

static int open_socket(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&target, sizeof target) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Slowloris (IDLE_SENDS_A_BYTE=1 in the environment): each idle connection sends the first byte
 * of a request line and nothing more. Connected blocking (loopback answers the SYN at once), so
 * the byte is surely out before the connection joins the ring. */
static int open_slowloris(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&target, sizeof target) < 0 ||
        send(fd, "P", 1, MSG_NOSIGNAL) != 1) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void reset_close(int fd) { /* like transport.abort(): RST, no lingering */
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static void finish(Conn *c, int ep, int reset) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    if (reset) reset_close(c->fd); else close(c->fd);
    c->fd = -1;
    nconns_used--;
}

static void start_one(int ep, int kind, double t) {
    int fd = open_socket();
    if (fd < 0) { refused_connect++; return; }
    int slot = -1;
    for (int i = 0; i < MAX_CONNS; i++) if (conns[i].fd < 0) { slot = i; break; }
    if (slot < 0) { close(fd); refused_connect++; return; }
    if (slot + 1 > hi) hi = slot + 1;
    Conn *c = &conns[slot];
    c->fd = fd; c->kind = kind; c->sent = 0; c->done_sending = 0;
    c->deadline = t + (kind == 0 ? HANGUP_AFTER_S : GIVE_UP_S);
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (unsigned)slot};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    nconns_used++;
}

static void on_ready(int ep, int slot, unsigned events) {
    Conn *c = &conns[slot];
    if (c->fd < 0) return;
    Buf *b = &kinds[c->kind];
    if ((events & EPOLLOUT) && !c->done_sending) {
        ssize_t n = send(c->fd, b->data + c->sent, b->len - c->sent, MSG_NOSIGNAL);
        if (n > 0) c->sent += (size_t)n;
        if (c->sent == b->len || (n < 0 && errno != EAGAIN)) {
            c->done_sending = 1;
            struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)slot};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        }
    }
    if (c->kind == 0) { /* a hang-up reads nothing; it is reset at its deadline */
        if (events & (EPOLLHUP | EPOLLERR)) finish(c, ep, 1);
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        char line[64];
        ssize_t n = recv(c->fd, line, sizeof line - 1, 0);
        if (n < 0 && errno == EAGAIN) return;
        if (n > 12 && memcmp(line, "HTTP/", 5) == 0) {
            answered++;
            int s = line[9] - '0';
            if (s >= 1 && s <= 5) status_counts[s]++;
        } else {
            no_answer++;
        }
        finish(c, ep, 0);
    }
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: %s HOST PORT RATE SECONDS IDLE HANGUP_FILE FILE...\n", argv[0]);
        return 2;
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    memset(&target, 0, sizeof target);
    target.sin_family = AF_INET;
    target.sin_port = htons((unsigned short)atoi(argv[2]));
    inet_pton(AF_INET, argv[1], &target.sin_addr);
    double rate = atof(argv[3]), seconds = atof(argv[4]);
    int idle = atoi(argv[5]);
    const char *sends = getenv("IDLE_SENDS_A_BYTE");
    int slowloris = sends != NULL && strcmp(sends, "1") == 0;
    for (int i = 6; i < argc && nkinds < MAX_KINDS; i++) kinds[nkinds++] = read_file(argv[i]);
    for (int i = 0; i < MAX_CONNS; i++) conns[i].fd = -1;

    int *idle_fds = calloc((size_t)idle + 1, sizeof(int));
    int idle_head = 0, idle_count = 0; /* a ring: the oldest first */
    long idle_opened = 0;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event events[256];
    double start = now(), next_renew = start, late_max = 0;
    long started = 0;
    double offered_s = 0;
    for (;;) {
        double t = now();
        int offering = t - start < seconds;
        if (offering) {
            while (start + started / rate <= t && started < (long)(rate * seconds)) {
                double late = t - (start + started / rate);
                if (late > late_max) late_max = late;
                start_one(ep, (int)(started % nkinds), t);
                started++;
            }
            if (idle && t >= next_renew) { /* reset the oldest twentieth */
                for (int k = 0; k < idle / 20 && idle_count > 0; k++) {
                    reset_close(idle_fds[idle_head]);
                    idle_head = (idle_head + 1) % idle;
                    idle_count--;
                }
                next_renew += RENEW_EVERY_S;
            }
            /* top up, a slice at a time: the hostile schedule is not held up by 2,000 connects */
            for (int k = 0; k < TOP_UP_SLICE && idle_count < idle; k++) {
                int fd = slowloris ? open_slowloris() : open_socket();
                if (fd < 0) break;
                idle_fds[(idle_head + idle_count) % idle] = fd;
                idle_count++;
                idle_opened++;
            }
        } else if (offered_s == 0) {
            offered_s = t - start;
        }
        if (!offering && nconns_used == 0) break;
        double wake = offering ? start + started / rate : t + 1.0;
        if (offering && idle && next_renew < wake) wake = next_renew;
        if (offering && idle_count < idle && t + 0.001 < wake) wake = t + 0.001;
        for (int i = 0; i < hi && nconns_used > 0; i++) { /* deadlines: hang-ups, give-ups */
            Conn *c = &conns[i];
            if (c->fd < 0) continue;
            if (t >= c->deadline) {
                if (c->kind != 0) no_answer++;
                finish(c, ep, 1);
            } else if (c->deadline < wake) {
                wake = c->deadline;
            }
        }
        int timeout_ms = (int)((wake - now()) * 1000 + 0.999); /* rounded up: no busy spin */
        if (timeout_ms < 0) timeout_ms = 0;
        int n = epoll_wait(ep, events, 256, timeout_ms);
        for (int i = 0; i < n; i++) on_ready(ep, (int)events[i].data.u32, events[i].events);
    }
    while (idle_count > 0) {
        reset_close(idle_fds[idle_head]);
        idle_head = (idle_head + 1) % idle;
        idle_count--;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + sys;
    printf("{\"hostile\": %ld, \"idle_opened\": %ld, \"offered_s\": %.3f, \"late_ms_max\": %.2f, "
           "\"answered\": %ld, \"no_answer\": %ld, \"connect_failed\": %ld, \"2xx\": %ld, "
           "\"4xx\": %ld, \"5xx\": %ld, \"cpu_s\": %.4f, \"sys_s\": %.4f}\n",
           started, idle_opened, offered_s, late_max * 1000, answered, no_answer, refused_connect,
           status_counts[2], status_counts[4], status_counts[5], cpu, sys);
    return 0;
}
