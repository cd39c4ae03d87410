/*
 * SOCK_SEQPACKET sockets for BlueZ's AcquireNotify/AcquireWrite fast paths.
 *
 * Node's net.Socket refuses SOCK_SEQPACKET fds and plain fs reads of them get
 * EAGAIN, so this addon watches an fd with libuv's poller and hands JS every
 * packet that is ready in one batch per wakeup (one JS call per batch, not
 * per notification). It also makes the socketpair a GATT server returns, and
 * opens the kernel's mgmt socket (HCI_CHANNEL_CONTROL), whose frames are
 * datagrams read the same way, and the unix stream socket of a D-Bus
 * connection, which passes fds both ways.
 */
#define _GNU_SOURCE /* sendmmsg */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#define READ_BUF_DEFAULT 4096
#define READ_BUF_MAX (6 + 65535)
/* Bounded so a flooding peer cannot starve the event loop; the poller is
 * level-triggered and wakes again while packets remain. */
#define MAX_BATCH 256
/* Packets handed to the kernel per sendmmsg call. */
#define MAX_WRITE_BATCH 64

enum { EV_PACKETS = 0, EV_WRITABLE = 1, EV_HANGUP = 2, EV_ERROR = 3 };

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int fd;
  int want_write;
  int closing;
  int stream;
  size_t bufsize;
  char *buf;
} watcher_t;

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, "ERR_BLEKIT_NATIVE", #call " failed");    \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  napi_value code, text, error, num;
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_create_string_utf8(env, "ERR_BLEKIT_NATIVE", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_throw(env, error);
  return NULL;
}

static void emit(watcher_t *w, int kind, napi_value payload) {
  napi_env env = w->env;
  napi_value cb, recv, argv[2], result;
  if (napi_get_reference_value(env, w->callback, &cb) != napi_ok || cb == NULL) return;
  napi_get_global(env, &recv);
  napi_create_int32(env, kind, &argv[0]);
  if (payload) argv[1] = payload;
  else napi_get_undefined(env, &argv[1]);
  /* make_callback runs microtasks afterwards, as for any libuv-driven callback. */
  napi_make_callback(env, w->async, recv, cb, 2, argv, &result);
}

static int update_poll(watcher_t *w);

/*
 * Stream mode (a D-Bus connection): one wakeup reads until EAGAIN or the buffer is full, and
 * hands JS [bytes, fds] once. Fds come with SCM_RIGHTS; the kernel ends a read after a chunk
 * that carried fds, so several reads per wakeup keep several messages' fds, in order.
 * Returns -1 when the watcher was closed, hung up or failed (events already emitted).
 */
#define STREAM_MAX_FDS_PER_READ 253 /* the kernel's SCM_MAX_FD */
#define STREAM_MAX_FDS_PER_WAKEUP 1024
static int read_stream(watcher_t *w) {
  napi_env env = w->env;
  size_t used = 0;
  int hup = 0, err = 0;
  uint32_t nfds = 0;
  napi_value fds, pair, data;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * STREAM_MAX_FDS_PER_READ)];
  } control;
  napi_create_array(env, &fds);
  while (used < w->bufsize && nfds + STREAM_MAX_FDS_PER_READ <= STREAM_MAX_FDS_PER_WAKEUP) {
    struct iovec iov = {w->buf + used, w->bufsize - used};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    ssize_t r = recvmsg(w->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
      break;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      int *p = (int *)CMSG_DATA(c);
      for (size_t i = 0; i < n; i++) {
        napi_value v;
        int fd;
        memcpy(&fd, p + i, sizeof fd);
        napi_create_int32(env, fd, &v);
        napi_set_element(env, fds, nfds++, v);
      }
    }
    /* Lost fds would shift every later message's fds onto the wrong message. */
    if (msg.msg_flags & MSG_CTRUNC) {
      err = EMSGSIZE;
      break;
    }
    if (r == 0) {
      hup = 1;
      break;
    }
    used += (size_t)r;
    /* A short read emptied the socket (or stopped at a chunk with fds): like libuv, leave the
     * rest to the level-triggered poller instead of paying a read that says EAGAIN. */
    if (used < w->bufsize) break;
  }
  if (used > 0 || nfds > 0) {
    void *copy;
    napi_create_buffer_copy(env, used, w->buf, &copy, &data);
    napi_create_array_with_length(env, 2, &pair);
    napi_set_element(env, pair, 0, data);
    napi_set_element(env, pair, 1, fds);
    emit(w, EV_PACKETS, pair);
  }
  if (w->closing) return -1;
  if (err) {
    napi_value code;
    napi_create_int32(env, -err, &code);
    emit(w, EV_ERROR, code);
    return -1;
  }
  if (hup) {
    emit(w, EV_HANGUP, NULL);
    return -1;
  }
  return 0;
}

static void on_poll(uv_poll_t *h, int status, int events) {
  watcher_t *w = (watcher_t *)h->data;
  napi_handle_scope scope;
  napi_open_handle_scope(w->env, &scope);
  if (status < 0) {
    napi_value code;
    napi_create_int32(w->env, status, &code);
    emit(w, EV_ERROR, code);
    goto done;
  }
  if ((events & UV_READABLE) && w->stream) {
    if (read_stream(w) < 0) goto done;
  } else if (events & UV_READABLE) {
    napi_value arr;
    uint32_t n = 0;
    int hup = 0, err = 0;
    napi_create_array(w->env, &arr);
    while (n < MAX_BATCH) {
      ssize_t r = recv(w->fd, w->buf, w->bufsize, MSG_DONTWAIT);
      if (r > 0) {
        napi_value b;
        void *data;
        napi_create_buffer_copy(w->env, (size_t)r, w->buf, &data, &b);
        napi_set_element(w->env, arr, n++, b);
      } else if (r == 0) {
        hup = 1;
        break;
      } else if (errno == EINTR) {
        continue;
      } else {
        if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
        break;
      }
    }
    if (n > 0) emit(w, EV_PACKETS, arr);
    if (w->closing) goto done;
    if (err) {
      napi_value code;
      napi_create_int32(w->env, -err, &code);
      emit(w, EV_ERROR, code);
      goto done;
    }
    if (hup) {
      emit(w, EV_HANGUP, NULL);
      goto done;
    }
  }
  if (!w->closing && (events & UV_WRITABLE)) {
    w->want_write = 0;
    update_poll(w);
    emit(w, EV_WRITABLE, NULL);
  }
  if (!w->closing && (events & UV_DISCONNECT)) emit(w, EV_HANGUP, NULL);
done:
  napi_close_handle_scope(w->env, scope);
}

static int update_poll(watcher_t *w) {
  int ev = UV_READABLE | UV_DISCONNECT | (w->want_write ? UV_WRITABLE : 0);
  return uv_poll_start(&w->poll, ev, on_poll);
}

static void on_closed(uv_handle_t *h) {
  watcher_t *w = (watcher_t *)h->data;
  close(w->fd);
  free(w->buf);
  free(w);
}

static napi_value get_watcher(napi_env env, napi_value v, watcher_t **out) {
  void *p = NULL;
  CHECK(napi_get_value_external(env, v, &p));
  *out = (watcher_t *)p;
  if (*out == NULL || (*out)->closing) {
    napi_throw_error(env, "ERR_BLEKIT_CLOSED", "socket is closed");
    return NULL;
  }
  return v;
}

/* socketpair() -> [fd, fd], non-blocking and close-on-exec. */
static napi_value SocketPair(napi_env env, napi_callback_info info) {
  int sv[2];
  napi_value arr, a, b;
  (void)info;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
    return throw_errno(env, "socketpair", errno);
  CHECK(napi_create_array_with_length(env, 2, &arr));
  CHECK(napi_create_int32(env, sv[0], &a));
  CHECK(napi_create_int32(env, sv[1], &b));
  CHECK(napi_set_element(env, arr, 0, a));
  CHECK(napi_set_element(env, arr, 1, b));
  return arr;
}

/* open(fd, callback(kind, payload), bufsize?) -> handle. Takes ownership of fd.
 * bufsize is the largest packet read whole (ATT values fit the default; mgmt
 * frames need 6 + 65535). */
static napi_value open_watcher(napi_env env, napi_callback_info info, int stream);

static napi_value Open(napi_env env, napi_callback_info info) {
  return open_watcher(env, info, 0);
}

/* openStream(fd, callback(kind, payload), bufsize?) -> handle: like open(), for a
 * SOCK_STREAM socket; EV_PACKETS carries [Buffer, fds[]] (see read_stream). */
static napi_value OpenStream(napi_env env, napi_callback_info info) {
  return open_watcher(env, info, 1);
}

static napi_value open_watcher(napi_env env, napi_callback_info info, int stream) {
  size_t argc = 3;
  napi_value argv[3], handle, name;
  int32_t fd, bufsize = READ_BUF_DEFAULT;
  uv_loop_t *loop;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "open(fd, callback)");
    return NULL;
  }
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (argc > 2) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[2], &t));
    if (t == napi_number) CHECK(napi_get_value_int32(env, argv[2], &bufsize));
  }
  if (bufsize < 1 || bufsize > READ_BUF_MAX) bufsize = READ_BUF_DEFAULT;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return throw_errno(env, "fcntl", errno);
  watcher_t *w = (watcher_t *)calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "calloc", ENOMEM);
  w->buf = (char *)malloc((size_t)bufsize);
  if (!w->buf) {
    free(w);
    return throw_errno(env, "malloc", ENOMEM);
  }
  w->bufsize = (size_t)bufsize;
  w->stream = stream;
  w->env = env;
  w->fd = fd;
  CHECK(napi_create_reference(env, argv[1], 1, &w->callback));
  CHECK(napi_create_string_utf8(env, "blekit:seqpacket", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &w->async));
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc < 0) {
    napi_delete_reference(env, w->callback);
    napi_async_destroy(env, w->async);
    free(w->buf);
    free(w);
    return throw_errno(env, "uv_poll_init", -rc);
  }
  w->poll.data = w;
  update_poll(w);
  CHECK(napi_create_external(env, w, NULL, NULL, &handle));
  return handle;
}

/* write(handle, buffer) -> bytes written, or -errno (-EAGAIN when full). */
static napi_value Write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  watcher_t *w;
  void *data;
  size_t len;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (!get_watcher(env, argv[0], &w)) return NULL;
  CHECK(napi_get_typedarray_info(env, argv[1], NULL, &len, &data, NULL, NULL));
  ssize_t r;
  do {
    r = send(w->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  CHECK(napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &out));
  return out;
}

/*
 * writeMany(handle, packets): sends up to MAX_WRITE_BATCH packets in one system call, so a
 * burst of notifications costs the reader (bluetoothd) one wakeup instead of one per value.
 * Returns how many were sent (fewer when the socket fills up) or -errno if none were.
 */
static napi_value WriteMany(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  watcher_t *w;
  uint32_t n;
  struct mmsghdr msgs[MAX_WRITE_BATCH];
  struct iovec iov[MAX_WRITE_BATCH];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (!get_watcher(env, argv[0], &w)) return NULL;
  CHECK(napi_get_array_length(env, argv[1], &n));
  if (n > MAX_WRITE_BATCH) n = MAX_WRITE_BATCH;
  memset(msgs, 0, sizeof msgs);
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    void *data;
    size_t len;
    CHECK(napi_get_element(env, argv[1], i, &el));
    CHECK(napi_get_typedarray_info(env, el, NULL, &len, &data, NULL, NULL));
    iov[i].iov_base = data;
    iov[i].iov_len = len;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  int r = 0;
  if (n > 0) {
    do {
      r = sendmmsg(w->fd, msgs, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
  }
  CHECK(napi_create_int32(env, r < 0 ? -errno : r, &out));
  return out;
}

/*
 * writeFds(handle, buffer, fds) -> bytes written, or -errno: one sendmsg with the fds as
 * SCM_RIGHTS. The kernel attaches them to the first byte it takes, so a partial write has
 * sent them all and the caller writes the rest with write(). A D-Bus reply to
 * AcquireNotify/AcquireWrite carries its socket this way.
 */
#define MAX_SEND_FDS 16
static napi_value WriteFds(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out;
  watcher_t *w;
  void *data;
  size_t len;
  uint32_t n;
  int fds[MAX_SEND_FDS];
  union {
    char buf[CMSG_SPACE(sizeof fds)];
    struct cmsghdr align;
  } control;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (!get_watcher(env, argv[0], &w)) return NULL;
  CHECK(napi_get_typedarray_info(env, argv[1], NULL, &len, &data, NULL, NULL));
  CHECK(napi_get_array_length(env, argv[2], &n));
  if (n > MAX_SEND_FDS || len == 0) {
    napi_throw_range_error(env, NULL, "writeFds: 1.. bytes and at most 16 fds");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    CHECK(napi_get_element(env, argv[2], i, &el));
    CHECK(napi_get_value_int32(env, el, &fds[i]));
  }
  struct iovec iov = {data, len};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  memset(&control, 0, sizeof control);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (n > 0) {
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, n * sizeof(int));
  }
  ssize_t r;
  do {
    r = sendmsg(w->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  CHECK(napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &out));
  return out;
}

/* wantWritable(handle): one EV_WRITABLE callback when the socket has room. */
static napi_value WantWritable(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  watcher_t *w;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (!get_watcher(env, argv[0], &w)) return NULL;
  w->want_write = 1;
  update_poll(w);
  return NULL;
}

/* ref(handle, bool): whether the socket keeps the event loop alive. */
static napi_value Ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  watcher_t *w;
  bool on;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (!get_watcher(env, argv[0], &w)) return NULL;
  CHECK(napi_get_value_bool(env, argv[1], &on));
  if (on) uv_ref((uv_handle_t *)&w->poll);
  else uv_unref((uv_handle_t *)&w->poll);
  return NULL;
}

/* close(handle): stops watching and closes the fd once libuv lets go of it. */
static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *p = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_external(env, argv[0], &p));
  watcher_t *w = (watcher_t *)p;
  if (w == NULL || w->closing) return NULL;
  w->closing = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, w->async);
  uv_close((uv_handle_t *)&w->poll, on_closed);
  return NULL;
}

/* closeFd(fd): for the peer end of a socketpair once it has been handed over. */
static napi_value CloseFd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (close(fd) < 0) return throw_errno(env, "close", errno);
  return NULL;
}

/* connectUnix(path) -> fd of a non-blocking, close-on-exec stream socket connected to path. */
static napi_value ConnectUnix(napi_env env, napi_callback_info info) {
  size_t argc = 1, len = 0;
  napi_value argv[1], out;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], addr.sun_path, sizeof addr.sun_path, &len) !=
          napi_ok) {
    napi_throw_type_error(env, NULL, "connectUnix(path: string)");
    return NULL;
  }
  if (len == 0 || len >= sizeof addr.sun_path - 1 || strlen(addr.sun_path) != len)
    return throw_errno(env, "connect", ENAMETOOLONG);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket(AF_UNIX)", errno);
  int r;
  do {
    r = connect(fd, (struct sockaddr *)&addr, sizeof addr);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "connect", err);
  }
  CHECK(napi_create_int32(env, fd, &out));
  return out;
}

/* The kernel's Bluetooth headers are not a build dependency; these are their ABI values. */
#define BT_AF 31
#define BT_PROTO_HCI 1
#define BT_DEV_NONE 0xffff
#define BT_CHANNEL_CONTROL 3
struct bt_sockaddr_hci {
  sa_family_t family;
  unsigned short dev;
  unsigned short channel;
};

/* hciControlSocket() -> fd bound to HCI_CHANNEL_CONTROL (the mgmt API). */
static napi_value HciControlSocket(napi_env env, napi_callback_info info) {
  napi_value out;
  struct bt_sockaddr_hci addr = {BT_AF, BT_DEV_NONE, BT_CHANNEL_CONTROL};
  (void)info;
  int fd = socket(BT_AF, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, BT_PROTO_HCI);
  if (fd < 0) return throw_errno(env, "socket(AF_BLUETOOTH)", errno);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind(HCI_CHANNEL_CONTROL)", err);
  }
  CHECK(napi_create_int32(env, fd, &out));
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"socketPair", NULL, SocketPair, NULL, NULL, NULL, napi_default, NULL},
      {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
      {"openStream", NULL, OpenStream, NULL, NULL, NULL, napi_default, NULL},
      {"connectUnix", NULL, ConnectUnix, NULL, NULL, NULL, napi_default, NULL},
      {"write", NULL, Write, NULL, NULL, NULL, napi_default, NULL},
      {"writeMany", NULL, WriteMany, NULL, NULL, NULL, napi_default, NULL},
      {"writeFds", NULL, WriteFds, NULL, NULL, NULL, napi_default, NULL},
      {"wantWritable", NULL, WantWritable, NULL, NULL, NULL, napi_default, NULL},
      {"ref", NULL, Ref, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
      {"closeFd", NULL, CloseFd, NULL, NULL, NULL, napi_default, NULL},
      {"hciControlSocket", NULL, HciControlSocket, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
