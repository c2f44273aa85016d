/* Event queue for the kernel: a binary heap ordered by (time_ns, seq), with the dispatch loop in C.
 *
 * Why C: heapq on Python tuples costs ~600 ns per push+pop on this machine, which alone caps the
 * kernel below 1M events/s. Here an event costs a few tens of ns plus the handler call.
 * seq is a global counter assigned at push: equal times keep push order, never entity order.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    int64_t t;
    uint64_t seq;
    Py_ssize_t to;
    Py_ssize_t sender;
    PyObject *msg;
} Event;

/* A directed link: a block of precomputed delays (drawn in Python from the link's own RNG stream)
 * and the last arrival time, so that deliveries on one link never overtake each other. */
typedef struct {
    int64_t *delays;
    Py_ssize_t len, idx;
    int64_t last_arrival;
} Link;

typedef struct {
    PyObject_HEAD
    Event *heap;
    Py_ssize_t size, cap;
    uint64_t next_seq;
    int64_t now;
    Link *links;
    Py_ssize_t nlinks, links_cap;
    uint64_t *keys;      /* open addressing: (sender << 32 | to) + 1, 0 = empty */
    int32_t *slots;
    Py_ssize_t hcap;     /* power of two */
    PyObject *refill;    /* refill(link_id) -> bytes of native int64 delays */
    PyObject *missing;   /* missing(sender, to) -> link_id, or None: KeyError */
} EventQueue;

static inline uint64_t link_key(Py_ssize_t sender, Py_ssize_t to) {
    return (((uint64_t)sender << 32) | (uint64_t)(uint32_t)to) + 1;
}

static inline Py_ssize_t hash_slot(uint64_t key, Py_ssize_t cap) {
    key ^= key >> 33; key *= 0xff51afd7ed558ccdULL; key ^= key >> 33;
    return (Py_ssize_t)(key & (uint64_t)(cap - 1));
}

static int32_t link_find(EventQueue *q, uint64_t key) {
    if (q->hcap == 0) return -1;
    for (Py_ssize_t i = hash_slot(key, q->hcap);; i = (i + 1) & (q->hcap - 1)) {
        if (q->keys[i] == key) return q->slots[i];
        if (q->keys[i] == 0) return -1;
    }
}

static int link_insert(EventQueue *q, uint64_t key, int32_t id) {
    if ((q->nlinks + 1) * 2 > q->hcap) {
        Py_ssize_t ncap = q->hcap ? q->hcap * 2 : 1024;
        uint64_t *nk = PyMem_Calloc((size_t)ncap, sizeof(uint64_t));
        int32_t *ns = PyMem_Calloc((size_t)ncap, sizeof(int32_t));
        if (!nk || !ns) { PyMem_Free(nk); PyMem_Free(ns); PyErr_NoMemory(); return -1; }
        for (Py_ssize_t i = 0; i < q->hcap; i++) {
            if (!q->keys[i]) continue;
            Py_ssize_t j = hash_slot(q->keys[i], ncap);
            while (nk[j]) j = (j + 1) & (ncap - 1);
            nk[j] = q->keys[i]; ns[j] = q->slots[i];
        }
        PyMem_Free(q->keys); PyMem_Free(q->slots);
        q->keys = nk; q->slots = ns; q->hcap = ncap;
    }
    Py_ssize_t j = hash_slot(key, q->hcap);
    while (q->keys[j]) j = (j + 1) & (q->hcap - 1);
    q->keys[j] = key; q->slots[j] = id;
    return 0;
}

static inline int before(const Event *a, const Event *b) {
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int eq_push_raw(EventQueue *q, int64_t t, Py_ssize_t to, Py_ssize_t sender, PyObject *msg) {
    if (q->size == q->cap) {
        Py_ssize_t ncap = q->cap ? q->cap * 2 : 1024;
        Event *nh = PyMem_Realloc(q->heap, (size_t)ncap * sizeof(Event));
        if (!nh) { PyErr_NoMemory(); return -1; }
        q->heap = nh; q->cap = ncap;
    }
    Event ev = {t, q->next_seq++, to, sender, msg};
    Py_INCREF(msg);
    Py_ssize_t i = q->size++;
    while (i > 0) {
        Py_ssize_t p = (i - 1) >> 1;
        if (!before(&ev, &q->heap[p])) break;
        q->heap[i] = q->heap[p];
        i = p;
    }
    q->heap[i] = ev;
    return 0;
}

static Event eq_pop_raw(EventQueue *q) {
    Event top = q->heap[0];
    Event last = q->heap[--q->size];
    Py_ssize_t n = q->size, i = 0;
    for (;;) {
        Py_ssize_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && before(&q->heap[c + 1], &q->heap[c])) c++;
        if (!before(&q->heap[c], &last)) break;
        q->heap[i] = q->heap[c];
        i = c;
    }
    if (n > 0) q->heap[i] = last;
    return top;
}

/* GC support: the kernel's callbacks are bound methods of the kernel that owns this queue, and
 * messages may reference anything; without traverse/clear such cycles would never be freed. */
static int EventQueue_traverse(EventQueue *q, visitproc visit, void *arg) {
    Py_VISIT(q->refill);
    Py_VISIT(q->missing);
    for (Py_ssize_t i = 0; i < q->size; i++) Py_VISIT(q->heap[i].msg);
    return 0;
}

static int EventQueue_clear(EventQueue *q) {
    Py_CLEAR(q->refill);
    Py_CLEAR(q->missing);
    Py_ssize_t n = q->size;
    q->size = 0;
    for (Py_ssize_t i = 0; i < n; i++) Py_DECREF(q->heap[i].msg);
    return 0;
}

static void EventQueue_dealloc(EventQueue *q) {
    PyObject_GC_UnTrack(q);
    for (Py_ssize_t i = 0; i < q->size; i++) Py_DECREF(q->heap[i].msg);
    PyMem_Free(q->heap);
    for (Py_ssize_t i = 0; i < q->nlinks; i++) PyMem_Free(q->links[i].delays);
    PyMem_Free(q->links); PyMem_Free(q->keys); PyMem_Free(q->slots);
    Py_XDECREF(q->refill); Py_XDECREF(q->missing);
    Py_TYPE(q)->tp_free((PyObject *)q);
}

static PyObject *EventQueue_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    EventQueue *q = (EventQueue *)type->tp_alloc(type, 0);
    if (q) {
        q->heap = NULL; q->size = q->cap = 0; q->next_seq = 0; q->now = 0;
        q->links = NULL; q->nlinks = q->links_cap = 0; q->keys = NULL; q->slots = NULL; q->hcap = 0;
        q->refill = NULL; q->missing = NULL;
    }
    return (PyObject *)q;
}

/* push(t_ns, to, sender, message) -> seq */
static PyObject *EventQueue_push(EventQueue *q, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) { PyErr_SetString(PyExc_TypeError, "push(t_ns, to, sender, message)"); return NULL; }
    int64_t t = PyLong_AsLongLong(args[0]);
    Py_ssize_t to = PyLong_AsSsize_t(args[1]);
    Py_ssize_t sender = PyLong_AsSsize_t(args[2]);
    if (PyErr_Occurred()) return NULL;
    if (t < q->now) { PyErr_SetString(PyExc_ValueError, "cannot schedule an event in the past"); return NULL; }
    if (eq_push_raw(q, t, to, sender, args[3]) < 0) return NULL;
    return PyLong_FromUnsignedLongLong(q->next_seq - 1);
}

/* pop() -> (t_ns, seq, to, sender, message); sets now. */
static PyObject *EventQueue_pop(EventQueue *q, PyObject *unused) {
    if (q->size == 0) { PyErr_SetString(PyExc_IndexError, "pop from an empty event queue"); return NULL; }
    Event ev = eq_pop_raw(q);
    q->now = ev.t;
    PyObject *r = Py_BuildValue("(LKnnN)", (long long)ev.t, (unsigned long long)ev.seq, ev.to, ev.sender, ev.msg);
    return r; /* N steals the queue's reference to msg */
}

/* run(handlers, until_ns, max_events) -> processed. Stops before the first event after until_ns.
 * handlers[address] is either handler(sender, message) or a dict {message type: route(message)}. */
static PyObject *EventQueue_run(EventQueue *q, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "run(handlers: list, until_ns, max_events)");
        return NULL;
    }
    PyObject *handlers = args[0];
    int64_t until = PyLong_AsLongLong(args[1]);
    long long budget = PyLong_AsLongLong(args[2]);
    if (PyErr_Occurred()) return NULL;
    long long done = 0;
    while (q->size > 0 && done < budget && q->heap[0].t <= until) {
        Event ev = eq_pop_raw(q);
        q->now = ev.t;
        if (ev.to < 0 || ev.to >= PyList_GET_SIZE(handlers)) {
            Py_DECREF(ev.msg);
            PyErr_Format(PyExc_IndexError, "event for unknown address %zd", ev.to);
            return NULL;
        }
        PyObject *handler = PyList_GET_ITEM(handlers, ev.to), *res;
        if (PyDict_CheckExact(handler)) { /* routes: {message type: route(message)}; other types are ignored */
            PyObject *route = PyDict_GetItemWithError(handler, (PyObject *)Py_TYPE(ev.msg));
            if (!route) {
                Py_DECREF(ev.msg);
                if (PyErr_Occurred()) return NULL;
                done++;
                continue;
            }
            Py_INCREF(route); /* the route may replace itself in the dict while it runs */
            PyObject *call_args[2] = {NULL, ev.msg}; /* slot 0 free: a bound method prepends self there */
            res = PyObject_Vectorcall(route, call_args + 1, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
            Py_DECREF(route);
        } else {
            PyObject *sender = PyLong_FromSsize_t(ev.sender);
            if (!sender) { Py_DECREF(ev.msg); return NULL; }
            PyObject *call_args[3] = {NULL, sender, ev.msg};
            res = PyObject_Vectorcall(handler, call_args + 1, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
            Py_DECREF(sender);
        }
        Py_DECREF(ev.msg);
        done++;
        if (!res) return NULL;
        Py_DECREF(res);
    }
    return PyLong_FromLongLong(done);
}

/* set_link_callbacks(refill, missing) */
static PyObject *EventQueue_set_link_callbacks(EventQueue *q, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyCallable_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "set_link_callbacks(refill, missing_or_None)");
        return NULL;
    }
    Py_XSETREF(q->refill, Py_NewRef(args[0]));
    Py_XSETREF(q->missing, args[1] == Py_None ? NULL : Py_NewRef(args[1]));
    Py_RETURN_NONE;
}

/* add_link(sender, to) -> link_id */
static PyObject *EventQueue_add_link(EventQueue *q, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) { PyErr_SetString(PyExc_TypeError, "add_link(sender, to)"); return NULL; }
    Py_ssize_t sender = PyLong_AsSsize_t(args[0]), to = PyLong_AsSsize_t(args[1]);
    if (PyErr_Occurred()) return NULL;
    if (sender < 0 || to < 0 || sender > 0x7fffffff || to > 0x7fffffff) { PyErr_SetString(PyExc_ValueError, "bad address"); return NULL; }
    uint64_t key = link_key(sender, to);
    int32_t found = link_find(q, key);
    if (found >= 0) return PyLong_FromLong(found);
    if (q->nlinks == q->links_cap) {
        Py_ssize_t ncap = q->links_cap ? q->links_cap * 2 : 256;
        Link *nl = PyMem_Realloc(q->links, (size_t)ncap * sizeof(Link));
        if (!nl) return PyErr_NoMemory();
        q->links = nl; q->links_cap = ncap;
    }
    int32_t id = (int32_t)q->nlinks;
    if (link_insert(q, key, id) < 0) return NULL;
    q->links[id] = (Link){NULL, 0, 0, INT64_MIN};
    q->nlinks++;
    return PyLong_FromLong(id);
}

static int link_refill(EventQueue *q, int32_t id) {
    if (!q->refill) { PyErr_SetString(PyExc_RuntimeError, "no refill callback set"); return -1; }
    PyObject *res = PyObject_CallFunction(q->refill, "i", id);
    if (!res) return -1;
    Py_buffer view;
    if (PyObject_GetBuffer(res, &view, PyBUF_SIMPLE) < 0) { Py_DECREF(res); return -1; }
    Py_ssize_t n = view.len / (Py_ssize_t)sizeof(int64_t);
    const int64_t *src = (const int64_t *)view.buf;
    const char *problem = n <= 0 ? "refill returned no delays" : NULL;
    for (Py_ssize_t i = 0; !problem && i < n; i++) {
        int64_t d;
        memcpy(&d, src + i, sizeof d);
        if (d < 0) problem = "negative delay";
    }
    /* validated before the link's buffer is touched: an error leaves the link as it was */
    int64_t *buf = problem ? NULL : PyMem_Realloc(q->links[id].delays, (size_t)n * sizeof(int64_t));
    if (buf) {
        memcpy(buf, view.buf, (size_t)n * sizeof(int64_t));
        Link *l = &q->links[id];
        l->delays = buf; l->len = n; l->idx = 0;
    }
    PyBuffer_Release(&view); Py_DECREF(res);
    if (problem) { PyErr_SetString(PyExc_ValueError, problem); return -1; }
    if (!buf) { PyErr_NoMemory(); return -1; }
    return 0;
}

/* reset_link(link_id): drop the delays drawn so far, so a re-timed link takes effect at once */
static PyObject *EventQueue_reset_link(EventQueue *q, PyObject *arg) {
    long id = PyLong_AsLong(arg);
    if (PyErr_Occurred()) return NULL;
    if (id < 0 || id >= q->nlinks) { PyErr_SetString(PyExc_IndexError, "no such link"); return NULL; }
    q->links[id].len = q->links[id].idx = 0;
    Py_RETURN_NONE;
}

/* Deliver `msg` from sender to `to` after the link's next delay, never before the link's last arrival. */
static int eq_send_one(EventQueue *q, Py_ssize_t sender, Py_ssize_t to, PyObject *msg) {
    int32_t id = (sender >= 0 && to >= 0 && sender <= 0x7fffffff && to <= 0x7fffffff) ? link_find(q, link_key(sender, to)) : -1;
    if (id < 0) {
        if (!q->missing) { PyErr_Format(PyExc_KeyError, "no link from %zd to %zd", sender, to); return -1; }
        PyObject *r = PyObject_CallFunction(q->missing, "nn", sender, to);
        if (!r) return -1;
        id = (int32_t)PyLong_AsLong(r);
        Py_DECREF(r);
        if (PyErr_Occurred()) return -1;
        if (id < 0 || id >= q->nlinks) { PyErr_SetString(PyExc_ValueError, "missing() returned a bad link id"); return -1; }
    }
    Link *l = &q->links[id];
    if (l->idx >= l->len) {
        if (link_refill(q, id) < 0) return -1;
        l = &q->links[id];
    }
    int64_t arrival = q->now + l->delays[l->idx++];
    if (arrival < l->last_arrival) arrival = l->last_arrival;
    l->last_arrival = arrival;
    return eq_push_raw(q, arrival, to, sender, msg);
}

/* send(sender, to, message) */
static PyObject *EventQueue_send(EventQueue *q, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) { PyErr_SetString(PyExc_TypeError, "send(sender, to, message)"); return NULL; }
    Py_ssize_t sender = PyLong_AsSsize_t(args[0]), to = PyLong_AsSsize_t(args[1]);
    if (PyErr_Occurred()) return NULL;
    if (eq_send_one(q, sender, to, args[2]) < 0) return NULL;
    Py_RETURN_NONE;
}

/* send_many(sender, tos: list, message): the same as send() to each address of `tos` in order (one
 * message object, one delay draw per link), without a Python call per recipient: market data fan-out. */
static PyObject *EventQueue_send_many(EventQueue *q, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyList_Check(args[1])) { PyErr_SetString(PyExc_TypeError, "send_many(sender, tos: list, message)"); return NULL; }
    Py_ssize_t sender = PyLong_AsSsize_t(args[0]);
    if (PyErr_Occurred()) return NULL;
    PyObject *tos = args[1];
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(tos); i++) {
        Py_ssize_t to = PyLong_AsSsize_t(PyList_GET_ITEM(tos, i));
        if (to == -1 && PyErr_Occurred()) return NULL;
        if (eq_send_one(q, sender, to, args[2]) < 0) return NULL;
    }
    Py_RETURN_NONE;
}

/* timer(owner, delay_ns, message): wake `owner` after delay_ns (sender = owner) */
static PyObject *EventQueue_timer(EventQueue *q, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) { PyErr_SetString(PyExc_TypeError, "timer(owner, delay_ns, message)"); return NULL; }
    Py_ssize_t owner = PyLong_AsSsize_t(args[0]);
    int64_t delay = PyLong_AsLongLong(args[1]);
    if (PyErr_Occurred()) return NULL;
    if (delay < 0) { PyErr_SetString(PyExc_ValueError, "a timer cannot fire in the past"); return NULL; }
    if (eq_push_raw(q, q->now + delay, owner, owner, args[2]) < 0) return NULL;
    Py_RETURN_NONE;
}

/* pending() -> [(t_ns, to, sender, message)] in no particular order: what is still in flight */
static PyObject *EventQueue_pending(EventQueue *q, PyObject *unused) {
    PyObject *out = PyList_New(q->size);
    if (!out) return NULL;
    for (Py_ssize_t i = 0; i < q->size; i++) {
        PyObject *item = Py_BuildValue("(LnnO)", (long long)q->heap[i].t, q->heap[i].to, q->heap[i].sender, q->heap[i].msg);
        if (!item) { Py_DECREF(out); return NULL; }
        PyList_SET_ITEM(out, i, item);
    }
    return out;
}

static PyObject *EventQueue_next_time(EventQueue *q, PyObject *unused) {
    if (q->size == 0) Py_RETURN_NONE;
    return PyLong_FromLongLong(q->heap[0].t);
}

static Py_ssize_t EventQueue_len(EventQueue *q) { return q->size; }

static PyObject *EventQueue_get_now(EventQueue *q, void *c) { return PyLong_FromLongLong(q->now); }
static int EventQueue_set_now(EventQueue *q, PyObject *v, void *c) {
    int64_t t = PyLong_AsLongLong(v);
    if (PyErr_Occurred()) return -1;
    if (q->size > 0 && t > q->heap[0].t) { PyErr_SetString(PyExc_ValueError, "cannot move the clock past a pending event"); return -1; }
    if (t < q->now) { PyErr_SetString(PyExc_ValueError, "the clock cannot go back"); return -1; }
    q->now = t;
    return 0;
}

static PyMethodDef EventQueue_methods[] = {
    {"push", (PyCFunction)(void (*)(void))EventQueue_push, METH_FASTCALL, "push(t_ns, to, sender, message) -> seq"},
    {"pop", (PyCFunction)EventQueue_pop, METH_NOARGS, "pop() -> (t_ns, seq, to, sender, message)"},
    {"run", (PyCFunction)(void (*)(void))EventQueue_run, METH_FASTCALL, "run(handlers, until_ns, max_events) -> processed"},
    {"next_time", (PyCFunction)EventQueue_next_time, METH_NOARGS, "time of the next event or None"},
    {"send", (PyCFunction)(void (*)(void))EventQueue_send, METH_FASTCALL, "send(sender, to, message)"},
    {"send_many", (PyCFunction)(void (*)(void))EventQueue_send_many, METH_FASTCALL, "send_many(sender, tos: list, message)"},
    {"timer", (PyCFunction)(void (*)(void))EventQueue_timer, METH_FASTCALL, "timer(owner, delay_ns, message)"},
    {"pending", (PyCFunction)EventQueue_pending, METH_NOARGS, "pending() -> [(t_ns, to, sender, message)]"},
    {"reset_link", (PyCFunction)EventQueue_reset_link, METH_O, "reset_link(link_id): discard drawn delays"},
    {"add_link", (PyCFunction)(void (*)(void))EventQueue_add_link, METH_FASTCALL, "add_link(sender, to) -> link_id"},
    {"set_link_callbacks", (PyCFunction)(void (*)(void))EventQueue_set_link_callbacks, METH_FASTCALL, "set_link_callbacks(refill, missing)"},
    {NULL}
};

static PyGetSetDef EventQueue_getset[] = {
    {"now", (getter)EventQueue_get_now, (setter)EventQueue_set_now, "current time in ns", NULL},
    {NULL}
};

static PySequenceMethods EventQueue_seq = {.sq_length = (lenfunc)EventQueue_len};

static PyTypeObject EventQueueType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hollow.market._queue.EventQueue",
    .tp_basicsize = sizeof(EventQueue),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Binary heap of events ordered by (time_ns, push sequence).",
    .tp_traverse = (traverseproc)EventQueue_traverse,
    .tp_clear = (inquiry)EventQueue_clear,
    .tp_new = EventQueue_new,
    .tp_dealloc = (destructor)EventQueue_dealloc,
    .tp_methods = EventQueue_methods,
    .tp_getset = EventQueue_getset,
    .tp_as_sequence = &EventQueue_seq,
};

static struct PyModuleDef queuemodule = {PyModuleDef_HEAD_INIT, "_queue", "Kernel event queue.", -1, NULL};

PyMODINIT_FUNC PyInit__queue(void) {
    if (PyType_Ready(&EventQueueType) < 0) return NULL;
    PyObject *m = PyModule_Create(&queuemodule);
    if (!m) return NULL;
    Py_INCREF(&EventQueueType);
    if (PyModule_AddObject(m, "EventQueue", (PyObject *)&EventQueueType) < 0) { Py_DECREF(&EventQueueType); Py_DECREF(m); return NULL; }
    return m;
}
