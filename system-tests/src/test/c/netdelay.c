/*
 * netdelay: a delay line for the multi-host tests, where the kernel has no sch_netem.
 *
 *   netdelay <queue> <delay-ms> <jitter-ms> [capacity]
 *
 * Binds NFQUEUE <queue> (an nftables rule "queue to <queue>" sends it packets), holds each packet for
 * delay ± jitter ms, drawn uniformly for each packet, and then accepts it. As with netem's jitter, a packet drawn
 * shorter than the one before it overtakes it. At most <capacity> packets (4096) are held: the kernel queue is
 * bounded to that and fails open, so when it is full a packet passes at once instead of wedging the network.
 * SIGTERM or SIGINT accepts every packet still held and exits 0. Prints one line when bound, one when stopped.
 *
 *   gcc -O2 -Wall -Wextra -o netdelay netdelay.c -lnetfilter_queue
 */
#define _GNU_SOURCE /* ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct held {
  uint64_t due_ns;
  uint32_t id;
};

/* A min-heap on due_ns: the next packet to let go is always at [0]. */
static struct held *heap;
static size_t held_count, capacity = 4096;
static uint64_t delay_ns, jitter_ns;
static unsigned long delayed, passed_full;
static volatile sig_atomic_t stopping;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void push(struct held item) {
  size_t i = held_count++;
  while (i > 0 && heap[(i - 1) / 2].due_ns > item.due_ns) {
    heap[i] = heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  heap[i] = item;
}

static struct held pop(void) {
  struct held top = heap[0], last = heap[--held_count];
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= held_count) break;
    if (child + 1 < held_count && heap[child + 1].due_ns < heap[child].due_ns) child++;
    if (heap[child].due_ns >= last.due_ns) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = last;
  return top;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg;
  (void)data;
  struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(nfa);
  if (header == NULL) return 0;
  uint32_t id = ntohl(header->packet_id);
  if (held_count == capacity) {
    /* Cannot happen while the kernel queue is bounded to the same capacity; never hold a packet forever. */
    passed_full++;
    return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
  }
  /* Uniform in [delay - jitter, delay + jitter]; random() is good enough for a test network. */
  uint64_t spread = 2 * jitter_ns + 1;
  uint64_t draw = ((uint64_t)random() << 31 | (uint64_t)random()) % spread;
  push((struct held){now_ns() + delay_ns - jitter_ns + draw, id});
  delayed++;
  return 0;
}

static void release(struct nfq_q_handle *qh, uint64_t until_ns) {
  while (held_count > 0 && heap[0].due_ns <= until_ns) {
    nfq_set_verdict(qh, pop().id, NF_ACCEPT, 0, NULL);
  }
}

static void on_signal(int signal) {
  (void)signal;
  stopping = 1;
}

static long number(const char *text, const char *what) {
  char *end;
  long value = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value < 0) {
    fprintf(stderr, "netdelay: %s must be a number >= 0, not '%s'\n", what, text);
    exit(2);
  }
  return value;
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: netdelay <queue> <delay-ms> <jitter-ms> [capacity]\n");
    return 2;
  }
  uint16_t queue = (uint16_t)number(argv[1], "queue");
  delay_ns = (uint64_t)number(argv[2], "delay-ms") * 1000000u;
  jitter_ns = (uint64_t)number(argv[3], "jitter-ms") * 1000000u;
  if (argc == 5) capacity = (size_t)number(argv[4], "capacity");
  if (jitter_ns > delay_ns || capacity == 0) {
    fprintf(stderr, "netdelay: jitter must not exceed the delay, and the capacity must be at least 1\n");
    return 2;
  }
  heap = calloc(capacity, sizeof *heap);
  srandom((unsigned)(now_ns() ^ (uint64_t)getpid()));

  /* SIGTERM is blocked except inside ppoll, so that it cannot slip in between the check of stopping and the wait. */
  sigset_t blocked, waiting;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  sigprocmask(SIG_BLOCK, &blocked, &waiting);
  struct sigaction action = {.sa_handler = on_signal};
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);

  struct nfq_handle *handle = nfq_open();
  struct nfq_q_handle *qh = handle == NULL ? NULL : nfq_create_queue(handle, queue, on_packet, NULL);
  if (heap == NULL || qh == NULL) {
    fprintf(stderr, "netdelay: cannot bind queue %u (needs CAP_NET_ADMIN and nfnetlink_queue): %s\n", queue,
            heap == NULL ? "out of memory" : "nfq_create_queue failed");
    return 1;
  }
  /* The packet id is all it needs (COPY_META); GSO packets are taken whole rather than segmented for it. */
  uint32_t flags = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
  if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0 || nfq_set_queue_maxlen(qh, (uint32_t)capacity) < 0 ||
      nfq_set_queue_flags(qh, flags, flags) < 0) {
    fprintf(stderr, "netdelay: cannot configure queue %u\n", queue);
    return 1;
  }
  int fd = nfq_fd(handle);
  /* A burst the socket cannot take is accepted by the kernel (fail-open); recv must not fail for it (ENOBUFS). */
  int on = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof on);
  int bytes = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  printf("netdelay: queue %u, delay %lu ms ± %lu ms, up to %zu packets held\n", queue,
         (unsigned long)(delay_ns / 1000000u), (unsigned long)(jitter_ns / 1000000u), capacity);
  fflush(stdout);

  static char buffer[65536];
  while (!stopping) {
    release(qh, now_ns());
    struct timespec wait, *timeout = NULL;
    if (held_count > 0) {
      uint64_t now = now_ns(), left = heap[0].due_ns > now ? heap[0].due_ns - now : 0;
      wait = (struct timespec){(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
      timeout = &wait;
    }
    struct pollfd readable = {.fd = fd, .events = POLLIN};
    if (ppoll(&readable, 1, timeout, &waiting) < 0 && errno != EINTR) {
      perror("netdelay: ppoll");
      break;
    }
    /* A bounded batch per wake-up, so that packets already due are not kept waiting by a flood. */
    for (int i = 0; i < 256 && (readable.revents & POLLIN); i++) {
      ssize_t length = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (length <= 0) break;
      nfq_handle_packet(handle, buffer, (int)length);
    }
  }
  release(qh, UINT64_MAX);
  printf("netdelay: stopped; %lu packets delayed, %lu passed at once with the queue full\n", delayed, passed_full);
  nfq_destroy_queue(qh);
  nfq_close(handle);
  return 0;
}
