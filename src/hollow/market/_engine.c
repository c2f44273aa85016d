/*
 * hollow.market._engine: the one matching engine behind both `Book` (in-process) and `replay_csv`.
 *
 * Layout (why): orders live in a pool of C structs recycled through a free list, so memory is bounded
 * by the peak number of resting orders, not by message count. Each price level is a FIFO doubly linked
 * list threaded through the pool (time priority, O(1) unlink). Each side keeps its active levels in an
 * array sorted so that the BEST level is at the END: taking out the best level is `n--`, and new levels
 * near the top need only a short memmove. A level is found by binary search on `key` (price for bids,
 * -price for asks, so both arrays ascend toward the best). order_id -> pool slot is an open-addressing
 * hash with linear probing and backward-shift deletion (no tombstones to build up).
 *
 * All prices, quantities and ids are int64. Values are capped at 2**53 so sums and band arithmetic
 * (2*price, best +/- band) cannot overflow and so that every value survives a round trip through a
 * float64 column downstream.
 *
 * Every engine entry point either succeeds, returns a reject code with the book untouched, or returns
 * ENGINE_NOMEM before touching the book: all memory a message can need is reserved up front.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- closed sets: the numbers are part of the contract with book.py ---------------------------- */
enum { REJ_OK = 0, REJ_UNKNOWN_ORDER = 1, REJ_NON_POSITIVE_QTY = 2, REJ_NON_POSITIVE_PRICE = 3, REJ_OFF_TICK = 4,
       REJ_OUT_OF_BAND = 5, REJ_POST_ONLY_WOULD_CROSS = 6, REJ_DUPLICATE_ORDER_ID = 7, REJ_BAD_SIDE = 8,
       REJ_BAD_TYPE = 9, REJ_PRICE_TOO_LARGE = 10 };
static const char *const REJECT_NAMES[] = {
    "ok", "unknown_order", "non_positive_qty", "non_positive_price", "off_tick", "out_of_band",
    "post_only_would_cross", "duplicate_order_id", "bad_side", "bad_type", "price_too_large"};
enum { BUY = 0, SELL = 1 };
enum { LIMIT = 0, IOC = 1, MARKET = 2, POST_ONLY = 3 };
enum { STP_CANCEL_TAKER = 0, STP_CANCEL_MAKER = 1, STP_CANCEL_BOTH = 2 };

#define ENGINE_NOMEM (-1)
#define NIL (-1)
#define MAX_VALUE (((int64_t)1) << 53)
/* A band wider than this is unlimited; the clamp keeps 2*band and best+band inside int64. */
#define MAX_BAND (((int64_t)1) << 56)

typedef struct {
    int64_t id, owner, price, qty; /* qty = remaining lots */
    int32_t prev, next;            /* FIFO links within the level; `next` doubles as free-list link */
    uint8_t side, otype;
} Order;

typedef struct {
    int64_t key, price, qty; /* key = price (bids) or -price (asks); qty = total remaining lots */
    int32_t head, tail, count;
} Level;

typedef struct {
    Level *lv;
    int32_t n, cap;
} SideBook;

typedef struct {
    int64_t key;
    int32_t val; /* pool slot, NIL = empty bucket */
} HEntry;

typedef struct {
    int64_t taker_id, maker_id, taker_owner, maker_owner, price, qty, maker_remaining, aggressor;
} FillRec;

typedef struct {
    int64_t id, owner, remaining;
} CancelRec;

typedef struct {
    int64_t tick, band, band_given; /* band is clamped to MAX_BAND for arithmetic */
    int stp;
    Order *orders;
    int32_t ocap, oused, free_head;
    int64_t side_orders[2];
    HEntry *ht;
    size_t hcap, hmask, hcount;
    int hshift;
    SideBook side[2];
    FillRec *fills;
    size_t nfills, fcap;
    CancelRec *cancels;
    size_t ncancels, ccap;
    int64_t last_trade, volume;
    int has_last;
} Engine;

/* ---- allocation helpers --------------------------------------------------------------------------- */
static int grow_array(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np) return ENGINE_NOMEM;
    *p = np;
    *cap = nc;
    return 0;
}

/* ---- order_id -> slot hash -------------------------------------------------------------------------- */
static inline size_t h_home(const Engine *e, int64_t key) {
    /* Fibonacci hashing: sequential ids (the common case) spread evenly over the table. */
    return (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15ULL) >> e->hshift);
}

static int ht_alloc(Engine *e, size_t cap) {
    HEntry *t = malloc(cap * sizeof(HEntry));
    if (!t) return ENGINE_NOMEM;
    for (size_t i = 0; i < cap; i++) t[i].val = NIL;
    e->ht = t;
    e->hcap = cap;
    e->hmask = cap - 1;
    int bits = 0;
    while (((size_t)1 << bits) < cap) bits++;
    e->hshift = 64 - bits;
    return 0;
}

static inline int32_t ht_find(const Engine *e, int64_t key) {
    size_t i = h_home(e, key);
    for (;;) {
        const HEntry *h = &e->ht[i];
        if (h->val == NIL) return NIL;
        if (h->key == key) return h->val;
        i = (i + 1) & e->hmask;
    }
}

static inline void ht_put_raw(Engine *e, int64_t key, int32_t val) {
    size_t i = h_home(e, key);
    while (e->ht[i].val != NIL) i = (i + 1) & e->hmask;
    e->ht[i].key = key;
    e->ht[i].val = val;
}

/* Keep the load factor at most 1/2 after one more insert. */
static int ht_reserve(Engine *e) {
    if ((e->hcount + 1) * 2 <= e->hcap) return 0;
    HEntry *old = e->ht;
    size_t oldcap = e->hcap;
    if (ht_alloc(e, oldcap * 2) < 0) {
        e->ht = old;
        return ENGINE_NOMEM;
    }
    /* ht_alloc changed hcap/hmask/hshift for the new table */
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].val != NIL) ht_put_raw(e, old[i].key, old[i].val);
    free(old);
    return 0;
}

static inline void ht_insert(Engine *e, int64_t key, int32_t val) {
    ht_put_raw(e, key, val);
    e->hcount++;
}

static void ht_remove(Engine *e, int64_t key) {
    size_t i = h_home(e, key);
    for (;;) {
        if (e->ht[i].val == NIL) return; /* not present */
        if (e->ht[i].key == key) break;
        i = (i + 1) & e->hmask;
    }
    /* Backward-shift deletion: pull later entries of the probe run into the hole unless their home
       bucket lies cyclically in (hole, j], where moving them would put them before their home. */
    size_t j = i;
    for (;;) {
        j = (j + 1) & e->hmask;
        if (e->ht[j].val == NIL) break;
        size_t k = h_home(e, e->ht[j].key);
        int stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            e->ht[i] = e->ht[j];
            i = j;
        }
    }
    e->ht[i].val = NIL;
    e->hcount--;
}

/* ---- order pool ----------------------------------------------------------------------------------- */
static int pool_reserve(Engine *e) {
    if (e->free_head != NIL || e->oused < e->ocap) return 0;
    if (e->ocap >= (INT32_MAX / 2)) return ENGINE_NOMEM;
    int32_t nc = e->ocap * 2;
    Order *np = realloc(e->orders, (size_t)nc * sizeof(Order));
    if (!np) return ENGINE_NOMEM;
    e->orders = np;
    e->ocap = nc;
    return 0;
}

static inline int32_t pool_alloc(Engine *e) { /* capacity reserved by pool_reserve */
    int32_t s;
    if (e->free_head != NIL) {
        s = e->free_head;
        e->free_head = e->orders[s].next;
    } else {
        s = e->oused++;
    }
    return s;
}

static inline void pool_free(Engine *e, int32_t s) {
    e->orders[s].next = e->free_head;
    e->free_head = s;
}

/* ---- levels --------------------------------------------------------------------------------------- */
static inline int64_t side_key(int side, int64_t price) { return side == BUY ? price : -price; }

static inline int32_t level_lower_bound(const SideBook *sb, int64_t key) {
    int32_t lo = 0, hi = sb->n;
    /* Most traffic is at or near the top: check the best level before bisecting. */
    if (hi > 0 && sb->lv[hi - 1].key <= key) return sb->lv[hi - 1].key == key ? hi - 1 : hi;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (sb->lv[mid].key < key) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int side_reserve(SideBook *sb) {
    if (sb->n < sb->cap) return 0;
    int32_t nc = sb->cap ? sb->cap * 2 : 64;
    Level *np = realloc(sb->lv, (size_t)nc * sizeof(Level));
    if (!np) return ENGINE_NOMEM;
    sb->lv = np;
    sb->cap = nc;
    return 0;
}

static inline void side_remove_level(SideBook *sb, int32_t idx) {
    if (idx != sb->n - 1) memmove(&sb->lv[idx], &sb->lv[idx + 1], (size_t)(sb->n - 1 - idx) * sizeof(Level));
    sb->n--;
}

/* Appends slot s (fields already set) at the back of its price level, creating the level if needed.
   Capacity for a new level must have been reserved. */
static void rest_order(Engine *e, int32_t s) {
    Order *o = &e->orders[s];
    SideBook *sb = &e->side[o->side];
    int64_t key = side_key(o->side, o->price);
    int32_t pos = level_lower_bound(sb, key);
    Level *lv;
    if (pos < sb->n && sb->lv[pos].key == key) {
        lv = &sb->lv[pos];
    } else {
        if (pos < sb->n) memmove(&sb->lv[pos + 1], &sb->lv[pos], (size_t)(sb->n - pos) * sizeof(Level));
        sb->n++;
        lv = &sb->lv[pos];
        lv->key = key;
        lv->price = o->price;
        lv->qty = 0;
        lv->head = lv->tail = NIL;
        lv->count = 0;
    }
    o->next = NIL;
    o->prev = lv->tail;
    if (lv->tail != NIL) e->orders[lv->tail].next = s;
    else lv->head = s;
    lv->tail = s;
    lv->qty += o->qty;
    lv->count++;
    e->side_orders[o->side]++;
}

/* Takes slot s out of its level (dropping the level when it empties); the slot stays allocated. */
static void unrest_order(Engine *e, int32_t s) {
    Order *o = &e->orders[s];
    SideBook *sb = &e->side[o->side];
    int32_t idx = level_lower_bound(sb, side_key(o->side, o->price));
    Level *lv = &sb->lv[idx];
    if (o->prev != NIL) e->orders[o->prev].next = o->next;
    else lv->head = o->next;
    if (o->next != NIL) e->orders[o->next].prev = o->prev;
    else lv->tail = o->prev;
    lv->qty -= o->qty;
    lv->count--;
    e->side_orders[o->side]--;
    if (lv->count == 0) side_remove_level(sb, idx);
}

/* ---- engine --------------------------------------------------------------------------------------- */
static void engine_free(Engine *e) {
    free(e->orders);
    free(e->ht);
    free(e->side[0].lv);
    free(e->side[1].lv);
    free(e->fills);
    free(e->cancels);
    memset(e, 0, sizeof(*e));
}

static int engine_init(Engine *e, int64_t tick, int64_t band, int stp) {
    memset(e, 0, sizeof(*e));
    e->tick = tick;
    e->band_given = band;
    e->band = band > MAX_BAND ? MAX_BAND : band;
    e->stp = stp;
    e->free_head = NIL;
    e->ocap = 1024;
    e->orders = malloc((size_t)e->ocap * sizeof(Order));
    if (!e->orders || ht_alloc(e, 2048) < 0 || side_reserve(&e->side[0]) < 0 || side_reserve(&e->side[1]) < 0 ||
        grow_array((void **)&e->fills, &e->fcap, 256, sizeof(FillRec)) < 0 ||
        grow_array((void **)&e->cancels, &e->ccap, 16, sizeof(CancelRec)) < 0) {
        engine_free(e);
        return ENGINE_NOMEM;
    }
    return 0;
}

static inline int has_best(const Engine *e, int side) { return e->side[side].n > 0; }
static inline int64_t best_px(const Engine *e, int side) { return e->side[side].lv[e->side[side].n - 1].price; }

/* Would a limit price on `side` trade against the current opposite best? */
static inline int crosses(const Engine *e, int side, int64_t price) {
    int opp = !side;
    if (!has_best(e, opp)) return 0;
    int64_t b = best_px(e, opp);
    return side == BUY ? price >= b : price <= b;
}

/* Band check for a priced order: reference = last trade, else mid of best bid/ask, else none.
   Compared at double scale so a half-tick mid needs no rounding. */
static inline int out_of_band(const Engine *e, int64_t price) {
    if (e->band <= 0) return 0;
    int64_t ref2;
    if (e->has_last) ref2 = 2 * e->last_trade;
    else if (has_best(e, BUY) && has_best(e, SELL)) ref2 = best_px(e, BUY) + best_px(e, SELL);
    else return 0;
    int64_t d = 2 * price - ref2;
    if (d < 0) d = -d;
    return d > 2 * e->band;
}

/* Reserve everything one taker pass can need, so matching never fails halfway: a fill per opposite
   order but never more than the taker's lots; STP maker cancels only under CANCEL_MAKER (one under
   CANCEL_BOTH), plus one for a replaced order whose own remainder STP cancels. */
static int reserve_match(Engine *e, int side, int64_t owner, int64_t qty) {
    size_t opp = (size_t)e->side_orders[!side];
    size_t nf = (uint64_t)qty < opp ? (size_t)qty : opp;
    size_t nc = owner == 0 ? 1 : e->stp == STP_CANCEL_MAKER ? opp + 1 : 2;
    if (grow_array((void **)&e->fills, &e->fcap, e->nfills + nf, sizeof(FillRec)) < 0) return ENGINE_NOMEM;
    if (grow_array((void **)&e->cancels, &e->ccap, e->ncancels + nc, sizeof(CancelRec)) < 0) return ENGINE_NOMEM;
    return 0;
}

/* Walks the opposite side from its best level while the level key is >= limkey (limkey is expressed in
   the opposite side's key space). Returns the taker's unfilled lots; *taker_cancelled is set when
   self-trade prevention cancelled the taker's remainder. */
static int64_t match(Engine *e, int64_t tid, int64_t towner, int side, int64_t limkey, int64_t qty,
                     int *taker_cancelled) {
    SideBook *ob = &e->side[!side];
    *taker_cancelled = 0;
    while (qty > 0 && ob->n > 0) {
        Level *lv = &ob->lv[ob->n - 1];
        if (lv->key < limkey) break;
        int stop = 0;
        /* Every maker we touch is the level head: it is filled, fully or partially (then the taker is
           done), or removed by STP, or the taker stops. */
        while (lv->head != NIL && qty > 0) {
            int32_t s = lv->head;
            Order *m = &e->orders[s];
            int self_trade = towner != 0 && m->owner == towner;
            if (self_trade) {
                if (e->stp == STP_CANCEL_TAKER) {
                    stop = 1;
                    break;
                }
                CancelRec *c = &e->cancels[e->ncancels++];
                c->id = m->id;
                c->owner = m->owner;
                c->remaining = m->qty;
                lv->qty -= m->qty;
            } else {
                int64_t q = qty < m->qty ? qty : m->qty;
                m->qty -= q;
                qty -= q;
                lv->qty -= q;
                FillRec *f = &e->fills[e->nfills++];
                f->taker_id = tid;
                f->maker_id = m->id;
                f->taker_owner = towner;
                f->maker_owner = m->owner;
                f->price = lv->price;
                f->qty = q;
                f->maker_remaining = m->qty;
                f->aggressor = side;
                e->volume += q;
                e->last_trade = lv->price;
                e->has_last = 1;
                if (m->qty > 0) break; /* taker exhausted */
            }
            /* maker leaves the book (filled or STP-removed) */
            int32_t nxt = m->next;
            lv->head = nxt;
            if (nxt != NIL) e->orders[nxt].prev = NIL;
            else lv->tail = NIL;
            lv->count--;
            e->side_orders[!side]--;
            ht_remove(e, m->id);
            pool_free(e, s);
            if (self_trade && e->stp == STP_CANCEL_BOTH) {
                stop = 1;
                break;
            }
        }
        if (lv->count == 0) ob->n--; /* the best level is the last element */
        if (stop) {
            *taker_cancelled = 1;
            break;
        }
    }
    return qty;
}

static inline int validate_price(const Engine *e, int64_t price) {
    if (price <= 0) return REJ_NON_POSITIVE_PRICE;
    if (price > MAX_VALUE) return REJ_PRICE_TOO_LARGE;
    if (price % e->tick != 0) return REJ_OFF_TICK;
    return REJ_OK;
}

static inline int validate_qty(int64_t qty) {
    if (qty <= 0) return REJ_NON_POSITIVE_QTY;
    if (qty > MAX_VALUE) return REJ_PRICE_TOO_LARGE;
    return REJ_OK;
}

/* Validation order (first failure wins): side, type, qty, price (not for MARKET), duplicate id, band,
   post-only cross. */
static int engine_add(Engine *e, int64_t id, int64_t owner, int64_t side, int64_t otype, int64_t price,
                      int64_t qty) {
    int r;
    if (side != BUY && side != SELL) return REJ_BAD_SIDE;
    if (otype < LIMIT || otype > POST_ONLY) return REJ_BAD_TYPE;
    if ((r = validate_qty(qty)) != REJ_OK) return r;
    if (otype != MARKET && (r = validate_price(e, price)) != REJ_OK) return r;
    if (ht_find(e, id) != NIL) return REJ_DUPLICATE_ORDER_ID;
    if (otype != MARKET && out_of_band(e, price)) return REJ_OUT_OF_BAND;
    int sd = (int)side;
    int x = otype == MARKET ? has_best(e, !sd) : crosses(e, sd, price);
    if (otype == POST_ONLY && x) return REJ_POST_ONLY_WOULD_CROSS;
    int rests = otype == LIMIT || otype == POST_ONLY;
    if (rests && (pool_reserve(e) < 0 || ht_reserve(e) < 0 || side_reserve(&e->side[sd]) < 0)) return ENGINE_NOMEM;
    if (x && reserve_match(e, sd, owner, qty) < 0) return ENGINE_NOMEM;

    int64_t rem = qty;
    int cancelled = 0;
    if (x) {
        int64_t limkey;
        if (otype == MARKET) {
            if (e->band > 0) {
                int64_t b = best_px(e, !sd);
                limkey = sd == BUY ? -(b + e->band) : b - e->band;
            } else {
                limkey = INT64_MIN;
            }
        } else {
            limkey = sd == BUY ? -price : price;
        }
        rem = match(e, id, owner, sd, limkey, qty, &cancelled);
    }
    if (rests && rem > 0 && !cancelled) {
        int32_t s = pool_alloc(e);
        Order *o = &e->orders[s];
        o->id = id;
        o->owner = owner;
        o->price = price;
        o->qty = rem;
        o->side = (uint8_t)sd;
        o->otype = (uint8_t)otype;
        rest_order(e, s);
        ht_insert(e, id, s);
    }
    return REJ_OK;
}

static int engine_cancel(Engine *e, int64_t id) {
    int32_t s = ht_find(e, id);
    if (s == NIL) return REJ_UNKNOWN_ORDER;
    unrest_order(e, s);
    ht_remove(e, id);
    pool_free(e, s);
    return REJ_OK;
}

/* qty_lots is the new REMAINING quantity. Same price and no larger size keeps time priority; a larger
   size or a new price goes to the back of the level; a new price that crosses trades as a taker. */
static int engine_replace(Engine *e, int64_t id, int64_t price, int64_t qty) {
    int r;
    int32_t s = ht_find(e, id);
    if (s == NIL) return REJ_UNKNOWN_ORDER;
    if ((r = validate_qty(qty)) != REJ_OK) return r;
    if ((r = validate_price(e, price)) != REJ_OK) return r;
    Order *o = &e->orders[s];
    int sd = o->side;
    if (price == o->price) {
        SideBook *sb = &e->side[sd];
        Level *lv = &sb->lv[level_lower_bound(sb, side_key(sd, price))];
        if (qty > o->qty && lv->tail != s) { /* loses priority: move to the back of its level */
            if (o->prev != NIL) e->orders[o->prev].next = o->next;
            else lv->head = o->next;
            e->orders[o->next].prev = o->prev; /* o->next != NIL since o is not the tail */
            o->prev = lv->tail;
            o->next = NIL;
            e->orders[lv->tail].next = s;
            lv->tail = s;
        }
        lv->qty += qty - o->qty;
        o->qty = qty;
        return REJ_OK;
    }
    if (out_of_band(e, price)) return REJ_OUT_OF_BAND;
    int x = crosses(e, sd, price);
    if (o->otype == POST_ONLY && x) return REJ_POST_ONLY_WOULD_CROSS;
    if (side_reserve(&e->side[sd]) < 0) return ENGINE_NOMEM;
    if (x && reserve_match(e, sd, o->owner, qty) < 0) return ENGINE_NOMEM;

    unrest_order(e, s);
    int64_t rem = qty;
    int cancelled = 0;
    if (x) rem = match(e, id, o->owner, sd, sd == BUY ? -price : price, qty, &cancelled);
    o = &e->orders[s]; /* the pool never moves during matching, but keep the pointer honest */
    o->price = price;
    if (rem > 0 && !cancelled) {
        o->qty = rem;
        rest_order(e, s);
    } else {
        if (rem > 0) { /* STP cancelled a previously resting order: report it like an STP maker */
            CancelRec *c = &e->cancels[e->ncancels++];
            c->id = id;
            c->owner = o->owner;
            c->remaining = rem;
        }
        ht_remove(e, id);
        pool_free(e, s);
    }
    return REJ_OK;
}

/* ================================ Python type: Book ================================================ */
typedef struct {
    PyObject_HEAD Engine e;
} BookObject;

static PyTypeObject BookType;

static int raise_nomem(void) {
    PyErr_NoMemory();
    return -1;
}

/* Maps positional/keyword fastcall arguments onto `n` named parameters. The common all-positional call
   costs nothing: `out` then points straight at `args`. */
static int gather_args(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, const char *const *names,
                       int n, PyObject **buf, PyObject *const **out, const char *fname) {
    if (kwnames == NULL && nargs == n) {
        *out = args;
        return 0;
    }
    if (nargs > n) {
        PyErr_Format(PyExc_TypeError, "%s() takes %d arguments (%zd given)", fname, n, nargs);
        return -1;
    }
    for (int i = 0; i < n; i++) buf[i] = i < nargs ? args[i] : NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        int found = -1;
        for (int i = 0; i < n; i++)
            if (PyUnicode_CompareWithASCIIString(name, names[i]) == 0) found = i;
        if (found < 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fname, name);
            return -1;
        }
        if (buf[found] != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fname, names[found]);
            return -1;
        }
        buf[found] = args[nargs + k];
    }
    for (int i = 0; i < n; i++)
        if (buf[i] == NULL) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fname, names[i]);
            return -1;
        }
    *out = buf;
    return 0;
}

/* Ids and owners must fit int64 (a caller bug otherwise: OverflowError). */
static inline int as_i64(PyObject *o, int64_t *v) {
    long long x = PyLong_AsLongLong(o);
    if (x == -1 && PyErr_Occurred()) return -1;
    *v = (int64_t)x;
    return 0;
}

/* Prices, sizes, side and type saturate instead: an absurd value becomes a reject code, not an
   exception, so the venue can treat all bad input alike. */
static inline int as_i64_sat(PyObject *o, int64_t *v) {
    int ovf;
    long long x = PyLong_AsLongLongAndOverflow(o, &ovf);
    if (x == -1 && PyErr_Occurred()) return -1;
    *v = ovf > 0 ? INT64_MAX : ovf < 0 ? INT64_MIN : (int64_t)x;
    return 0;
}

static PyObject *ret_code(int r) {
    if (r < 0) {
        raise_nomem();
        return NULL;
    }
    return PyLong_FromLong(r);
}

static PyObject *Book_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"tick_multiple", "band_ticks", "stp", NULL};
    long long tick = 1, band = 0;
    int stp = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|LLi:Book", kwlist, &tick, &band, &stp)) return NULL;
    if (tick <= 0 || tick > MAX_VALUE) {
        PyErr_SetString(PyExc_ValueError, "tick_multiple must be a positive integer (at most 2**53)");
        return NULL;
    }
    if (band < 0) {
        PyErr_SetString(PyExc_ValueError, "band_ticks must be >= 0 (0 turns the band off)");
        return NULL;
    }
    if (stp < STP_CANCEL_TAKER || stp > STP_CANCEL_BOTH) {
        PyErr_SetString(PyExc_ValueError, "stp must be 0 (CANCEL_TAKER), 1 (CANCEL_MAKER) or 2 (CANCEL_BOTH)");
        return NULL;
    }
    BookObject *self = (BookObject *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    if (engine_init(&self->e, tick, band, stp) < 0) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static void Book_dealloc(BookObject *self) {
    engine_free(&self->e);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Book_add(BookObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"order_id", "owner", "side", "otype", "price_ticks", "qty_lots"};
    PyObject *buf[6];
    PyObject *const *a;
    int64_t id, owner, side, otype, price, qty;
    if (gather_args(args, nargs, kwnames, names, 6, buf, &a, "add") < 0) return NULL;
    if (as_i64(a[0], &id) < 0 || as_i64(a[1], &owner) < 0 || as_i64_sat(a[2], &side) < 0 ||
        as_i64_sat(a[3], &otype) < 0 || as_i64_sat(a[4], &price) < 0 || as_i64_sat(a[5], &qty) < 0)
        return NULL;
    return ret_code(engine_add(&self->e, id, owner, side, otype, price, qty));
}

static PyObject *Book_cancel(BookObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"order_id"};
    PyObject *buf[1];
    PyObject *const *a;
    int64_t id;
    if (gather_args(args, nargs, kwnames, names, 1, buf, &a, "cancel") < 0) return NULL;
    if (as_i64(a[0], &id) < 0) return NULL;
    return ret_code(engine_cancel(&self->e, id));
}

static PyObject *Book_replace(BookObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"order_id", "price_ticks", "qty_lots"};
    PyObject *buf[3];
    PyObject *const *a;
    int64_t id, price, qty;
    if (gather_args(args, nargs, kwnames, names, 3, buf, &a, "replace") < 0) return NULL;
    if (as_i64(a[0], &id) < 0 || as_i64_sat(a[1], &price) < 0 || as_i64_sat(a[2], &qty) < 0) return NULL;
    return ret_code(engine_replace(&self->e, id, price, qty));
}

static PyObject *Book_take_fills(BookObject *self, PyObject *Py_UNUSED(ignored)) {
    Engine *e = &self->e;
    PyObject *list = PyList_New((Py_ssize_t)e->nfills);
    if (!list) return NULL;
    for (size_t i = 0; i < e->nfills; i++) {
        const FillRec *f = &e->fills[i];
        PyObject *t = Py_BuildValue("(LLLLLLLL)", (long long)f->taker_id, (long long)f->maker_id,
                                    (long long)f->taker_owner, (long long)f->maker_owner, (long long)f->price,
                                    (long long)f->qty, (long long)f->aggressor, (long long)f->maker_remaining);
        if (!t) {
            Py_DECREF(list);
            return NULL; /* fills stay buffered; a retry can still collect them */
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    e->nfills = 0;
    /* A rare sweep may have grown the buffer a lot; give that memory back. */
    if (e->fcap > 65536) {
        FillRec *np = realloc(e->fills, 4096 * sizeof(FillRec));
        if (np) {
            e->fills = np;
            e->fcap = 4096;
        }
    }
    return list;
}

static PyObject *Book_take_cancels(BookObject *self, PyObject *Py_UNUSED(ignored)) {
    Engine *e = &self->e;
    PyObject *list = PyList_New((Py_ssize_t)e->ncancels);
    if (!list) return NULL;
    for (size_t i = 0; i < e->ncancels; i++) {
        const CancelRec *c = &e->cancels[i];
        PyObject *t = Py_BuildValue("(LLL)", (long long)c->id, (long long)c->owner, (long long)c->remaining);
        if (!t) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    e->ncancels = 0;
    if (e->ccap > 65536) {
        CancelRec *np = realloc(e->cancels, 1024 * sizeof(CancelRec));
        if (np) {
            e->cancels = np;
            e->ccap = 1024;
        }
    }
    return list;
}

static PyObject *Book_order(BookObject *self, PyObject *arg) {
    int64_t id;
    if (as_i64(arg, &id) < 0) return NULL;
    int32_t s = ht_find(&self->e, id);
    if (s == NIL) Py_RETURN_NONE;
    const Order *o = &self->e.orders[s];
    return Py_BuildValue("(LiLL)", (long long)o->owner, (int)o->side, (long long)o->price, (long long)o->qty);
}

static PyObject *best_or_none(const Engine *e, int side) {
    if (!has_best(e, side)) Py_RETURN_NONE;
    return PyLong_FromLongLong(best_px(e, side));
}

static PyObject *Book_best_bid(BookObject *self, PyObject *Py_UNUSED(ignored)) { return best_or_none(&self->e, BUY); }
static PyObject *Book_best_ask(BookObject *self, PyObject *Py_UNUSED(ignored)) { return best_or_none(&self->e, SELL); }

static PyObject *Book_top(BookObject *self, PyObject *Py_UNUSED(ignored)) {
    const Engine *e = &self->e;
    PyObject *bid = best_or_none(e, BUY), *ask = best_or_none(e, SELL);
    if (!bid || !ask) {
        Py_XDECREF(bid);
        Py_XDECREF(ask);
        return NULL;
    }
    long long bq = has_best(e, BUY) ? e->side[BUY].lv[e->side[BUY].n - 1].qty : 0;
    long long aq = has_best(e, SELL) ? e->side[SELL].lv[e->side[SELL].n - 1].qty : 0;
    return Py_BuildValue("(NLNL)", bid, bq, ask, aq);
}

static PyObject *Book_depth(BookObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"side", "n"};
    PyObject *buf[2];
    PyObject *const *a;
    int64_t side, n;
    if (gather_args(args, nargs, kwnames, names, 2, buf, &a, "depth") < 0) return NULL;
    if (as_i64_sat(a[0], &side) < 0 || as_i64_sat(a[1], &n) < 0) return NULL;
    if (side != BUY && side != SELL) {
        PyErr_SetString(PyExc_ValueError, "side must be 0 (BUY) or 1 (SELL)");
        return NULL;
    }
    const SideBook *sb = &self->e.side[side];
    int64_t m = n < 0 ? 0 : (n > sb->n ? sb->n : n);
    PyObject *list = PyList_New((Py_ssize_t)m);
    if (!list) return NULL;
    for (int64_t i = 0; i < m; i++) {
        const Level *lv = &sb->lv[sb->n - 1 - i];
        PyObject *t = Py_BuildValue("(LLi)", (long long)lv->price, (long long)lv->qty, (int)lv->count);
        if (!t) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    return list;
}

static PyObject *Book_last_trade(BookObject *self, PyObject *Py_UNUSED(ignored)) {
    if (!self->e.has_last) Py_RETURN_NONE;
    return PyLong_FromLongLong(self->e.last_trade);
}

static PyObject *Book_volume(BookObject *self, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromLongLong(self->e.volume);
}

static Py_ssize_t Book_len(BookObject *self) {
    return (Py_ssize_t)(self->e.side_orders[0] + self->e.side_orders[1]);
}

static PyObject *Book_get_tick(BookObject *self, void *c) { return PyLong_FromLongLong(self->e.tick); }
static PyObject *Book_get_band(BookObject *self, void *c) { return PyLong_FromLongLong(self->e.band_given); }
static PyObject *Book_get_stp(BookObject *self, void *c) { return PyLong_FromLong(self->e.stp); }

static PyGetSetDef Book_getset[] = {
    {"tick_multiple", (getter)Book_get_tick, NULL, "Prices must be a multiple of this many ticks.", NULL},
    {"band_ticks", (getter)Book_get_band, NULL, "Price band in ticks; 0 = off.", NULL},
    {"stp", (getter)Book_get_stp, NULL, "Self-trade prevention mode (see SelfTradePrevention).", NULL},
    {NULL}};

static PyMethodDef Book_methods[] = {
    {"add", (PyCFunction)(void (*)(void))Book_add, METH_FASTCALL | METH_KEYWORDS,
     "add(order_id, owner, side, otype, price_ticks, qty_lots) -> reject code (0 = accepted)"},
    {"cancel", (PyCFunction)(void (*)(void))Book_cancel, METH_FASTCALL | METH_KEYWORDS,
     "cancel(order_id) -> 0 or UNKNOWN_ORDER"},
    {"replace", (PyCFunction)(void (*)(void))Book_replace, METH_FASTCALL | METH_KEYWORDS,
     "replace(order_id, price_ticks, qty_lots) -> reject code; qty_lots is the new remaining size"},
    {"take_fills", (PyCFunction)Book_take_fills, METH_NOARGS,
     "Fills since the last call: (taker_id, maker_id, taker_owner, maker_owner, price_ticks, qty_lots, "
     "aggressor_side, maker_remaining_lots)"},
    {"take_cancels", (PyCFunction)Book_take_cancels, METH_NOARGS,
     "Orders the engine removed (self-trade prevention) since the last call: (order_id, owner, remaining_lots)"},
    {"order", (PyCFunction)Book_order, METH_O, "order(order_id) -> (owner, side, price_ticks, remaining_lots) or None"},
    {"best_bid", (PyCFunction)Book_best_bid, METH_NOARGS, "Best bid price in ticks, or None"},
    {"best_ask", (PyCFunction)Book_best_ask, METH_NOARGS, "Best ask price in ticks, or None"},
    {"top", (PyCFunction)Book_top, METH_NOARGS, "(bid_px | None, bid_qty, ask_px | None, ask_qty)"},
    {"depth", (PyCFunction)(void (*)(void))Book_depth, METH_FASTCALL | METH_KEYWORDS,
     "depth(side, n) -> [(price_ticks, total_lots, n_orders)], best first"},
    {"last_trade", (PyCFunction)Book_last_trade, METH_NOARGS, "Price of the last fill, or None"},
    {"volume", (PyCFunction)Book_volume, METH_NOARGS, "Total lots matched"},
    {NULL}};

static PySequenceMethods Book_as_sequence = {.sq_length = (lenfunc)Book_len};

static PyTypeObject BookType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hollow.market._engine.Book",
    .tp_doc = "Book(tick_multiple=1, band_ticks=0, stp=0): a price-time priority limit order book.",
    .tp_basicsize = sizeof(BookObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Book_new,
    .tp_dealloc = (destructor)Book_dealloc,
    .tp_methods = Book_methods,
    .tp_getset = Book_getset,
    .tp_as_sequence = &Book_as_sequence,
};

/* ================================ replay_csv ======================================================= */
static const char HEADER[] = "ts_ns,order_id,agent,action,side,type,price_ticks,qty_lots";
#define NCOLS 8
#define MAX_BAD_MESSAGES 20
#define IO_BLOCK (1 << 20)

typedef struct {
    FILE *f;
    char *buf;
    size_t cap, len, pos;
    int eof, err;
} Reader;

/* Returns 1 with [*start, *start + *n) = the next line (without '\n'), 0 at end of file, -1 on error. */
static int reader_line(Reader *r, const char **start, size_t *n) {
    for (;;) {
        char *nl = r->pos < r->len ? memchr(r->buf + r->pos, '\n', r->len - r->pos) : NULL;
        if (nl) {
            *start = r->buf + r->pos;
            *n = (size_t)(nl - (r->buf + r->pos));
            r->pos = (size_t)(nl - r->buf) + 1;
            return 1;
        }
        if (r->eof) {
            if (r->pos < r->len) {
                *start = r->buf + r->pos;
                *n = r->len - r->pos;
                r->pos = r->len;
                return 1;
            }
            return 0;
        }
        if (r->pos > 0) { /* keep the partial line, refill behind it */
            memmove(r->buf, r->buf + r->pos, r->len - r->pos);
            r->len -= r->pos;
            r->pos = 0;
        }
        if (r->len == r->cap) { /* a line longer than the buffer */
            char *nb = realloc(r->buf, r->cap * 2);
            if (!nb) return -1;
            r->buf = nb;
            r->cap *= 2;
        }
        size_t got = fread(r->buf + r->len, 1, r->cap - r->len, r->f);
        r->len += got;
        if (got == 0) {
            if (ferror(r->f)) {
                r->err = errno ? errno : EIO;
                return -1;
            }
            r->eof = 1;
        }
    }
}

typedef struct {
    FILE *f;
    char *buf;
    size_t len, cap;
    int err;
} Writer;

static void w_flush(Writer *w) {
    if (w->len && !w->err && fwrite(w->buf, 1, w->len, w->f) != w->len) w->err = errno ? errno : EIO;
    w->len = 0;
}

static inline void w_room(Writer *w, size_t n) {
    if (w->len + n > w->cap) w_flush(w);
}

static inline void w_bytes(Writer *w, const char *s, size_t n) {
    if (n > w->cap) { /* never happens for our short records, but stay correct */
        w_flush(w);
        if (!w->err && fwrite(s, 1, n, w->f) != n) w->err = errno ? errno : EIO;
        return;
    }
    w_room(w, n);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static inline void w_char(Writer *w, char c) {
    w_room(w, 1);
    w->buf[w->len++] = c;
}

static inline void w_i64(Writer *w, int64_t v) {
    char tmp[24];
    int i = 24;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) tmp[--i] = '-';
    w_bytes(w, tmp + i, (size_t)(24 - i));
}

/* 0 = ok, 1 = not an integer, 2 = out of int64 range. Accepts an optional sign and decimal digits. */
static int parse_i64(const char *s, size_t n, int64_t *out) {
    size_t i = 0;
    int neg = 0;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n) return 1;
    uint64_t v = 0;
    int big = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9) return 1;
        if (v > (UINT64_MAX - d) / 10) big = 1;
        else v = v * 10 + d;
    }
    if (big) return 2;
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return 2;
        *out = (int64_t)(0 - v);
    } else {
        if (v > (uint64_t)INT64_MAX) return 2;
        *out = (int64_t)v;
    }
    return 0;
}

static inline int field_is(const char *s, size_t n, const char *lit) {
    size_t m = strlen(lit);
    return n == m && memcmp(s, lit, m) == 0;
}

/* Agent names become owners: 64-bit FNV-1a, with 0 reserved for anonymous (empty agent). */
static int64_t owner_of(const char *s, size_t n) {
    if (n == 0) return 0;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    if (h == 0) h = 1;
    return (int64_t)h;
}

typedef struct {
    int64_t rows, fills, rejects, bad_rows;
    char *messages[MAX_BAD_MESSAGES];
    int nmessages;
    /* fatal error (raised after the GIL is back) */
    int fatal;        /* 0 none, 1 errno on a path, 2 header, 3 out of memory */
    int fatal_errno;
    const char *fatal_path;
    char fatal_msg[512];
} ReplayState;

/* Quotes a field value for a message: at most 40 bytes (whole UTF-8 characters), control characters shown as '?'. */
static void describe_value(char *dst, size_t dstcap, const char *s, size_t n) {
    size_t k = 0, lim = n > 40 ? 40 : n;
    while (lim < n && lim > 0 && ((unsigned char)s[lim] & 0xC0) == 0x80) lim--; /* never cut a UTF-8 character */
    for (size_t i = 0; i < lim && k + 1 < dstcap; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[k++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (n > lim && k + 4 < dstcap) {
        memcpy(dst + k, "...", 3);
        k += 3;
    }
    dst[k] = 0;
}

static void bad_row(ReplayState *st, Writer *rej, int64_t line, int have_id, int64_t id, const char *what) {
    st->bad_rows++;
    w_i64(rej, line);
    w_char(rej, ',');
    if (have_id) w_i64(rej, id);
    w_bytes(rej, ",\"malformed: ", 13);
    for (const char *p = what; *p; p++) {
        if (*p == '"') w_char(rej, '"'); /* CSV: double the quote */
        w_char(rej, *p);
    }
    w_bytes(rej, "\"\n", 2);
    if (st->nmessages < MAX_BAD_MESSAGES) {
        size_t cap = strlen(what) + 48;
        char *m = malloc(cap);
        if (m) {
            snprintf(m, cap, "line %lld: %s", (long long)line, what);
            st->messages[st->nmessages++] = m;
        }
    }
}

static const char *const COLNAMES[NCOLS] = {"ts_ns", "order_id", "agent", "action", "side", "type", "price_ticks", "qty_lots"};

/* Parses integer column `c`; on failure records the bad row and returns -1. */
static int col_int(ReplayState *st, Writer *rej, int64_t line, const char *const *fs, const size_t *fn, int c,
                   int have_id, int64_t id, int64_t *out) {
    int r = parse_i64(fs[c], fn[c], out);
    if (r == 0) return 0;
    char val[64], what[160];
    describe_value(val, sizeof val, fs[c], fn[c]);
    snprintf(what, sizeof what, "%s '%s' %s", COLNAMES[c], val, r == 1 ? "is not an integer" : "is out of range");
    bad_row(st, rej, line, have_id, id, what);
    return -1;
}

static int writer_open(Writer *w, const char *path, ReplayState *st) {
    w->f = fopen(path, "wb");
    w->len = 0;
    w->cap = IO_BLOCK;
    w->err = 0;
    w->buf = NULL;
    if (!w->f) {
        st->fatal = 1;
        st->fatal_errno = errno;
        st->fatal_path = path;
        return -1;
    }
    w->buf = malloc(w->cap);
    if (!w->buf) {
        st->fatal = 3;
        return -1;
    }
    return 0;
}

static void writer_close(Writer *w, ReplayState *st, const char *path) {
    if (!w->f) return;
    w_flush(w);
    if (fclose(w->f) != 0 && !w->err) w->err = errno ? errno : EIO;
    w->f = NULL;
    free(w->buf);
    w->buf = NULL;
    if (w->err && !st->fatal) {
        st->fatal = 1;
        st->fatal_errno = w->err;
        st->fatal_path = path;
    }
}

/* The whole replay runs without the GIL: it touches no Python objects. */
static void replay_run(const char *in_path, const char *out_path, const char *rej_path, int64_t band, ReplayState *st) {
    Reader rd = {0};
    Writer fw = {0}, rw = {0};
    Engine e;
    int have_engine = 0;

    rd.f = fopen(in_path, "rb");
    if (!rd.f) {
        st->fatal = 1;
        st->fatal_errno = errno;
        st->fatal_path = in_path;
        return;
    }
    rd.cap = IO_BLOCK;
    rd.buf = malloc(rd.cap);
    if (!rd.buf) {
        st->fatal = 3;
        goto done;
    }
    const char *line;
    size_t n;
    int got = reader_line(&rd, &line, &n);
    if (got < 0) goto read_error;
    if (got == 0) {
        st->fatal = 2;
        snprintf(st->fatal_msg, sizeof st->fatal_msg, "empty file: expected the header '%s'", HEADER);
        goto done;
    }
    if (n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) { /* UTF-8 byte order mark */
        line += 3;
        n -= 3;
    }
    if (n > 0 && line[n - 1] == '\r') n--;
    if (!field_is(line, n, HEADER)) {
        char val[64];
        describe_value(val, sizeof val, line, n);
        st->fatal = 2;
        snprintf(st->fatal_msg, sizeof st->fatal_msg, "line 1: expected the header '%s', got '%s'", HEADER, val);
        goto done;
    }
    if (writer_open(&fw, out_path, st) < 0 || writer_open(&rw, rej_path, st) < 0) goto done;
    w_bytes(&fw, "ts_ns,taker_order_id,maker_order_id,price_ticks,qty_lots,aggressor\n", 67);
    w_bytes(&rw, "line,order_id,reason\n", 21);
    if (engine_init(&e, 1, band, STP_CANCEL_TAKER) < 0) {
        st->fatal = 3;
        goto done;
    }
    have_engine = 1;

    int64_t lineno = 1;
    const char *fs[NCOLS + 1];
    size_t fn[NCOLS + 1];
    char what[160], val[64];
    for (;;) {
        got = reader_line(&rd, &line, &n);
        if (got < 0) goto read_error;
        if (got == 0) break;
        lineno++;
        if (n > 0 && line[n - 1] == '\r') n--;
        if (n == 0) continue; /* blank lines (e.g. a trailing one) are not rows */
        st->rows++;
        /* split on commas; count columns even past the expected 8 for the message */
        int nc = 0;
        const char *p = line, *end = line + n;
        for (;;) {
            const char *c = memchr(p, ',', (size_t)(end - p));
            const char *fe = c ? c : end;
            if (nc < NCOLS + 1) {
                fs[nc] = p;
                fn[nc] = (size_t)(fe - p);
            }
            nc++;
            if (!c) break;
            p = c + 1;
        }
        if (nc != NCOLS) {
            snprintf(what, sizeof what, "expected %d columns, got %d", NCOLS, nc);
            bad_row(st, &rw, lineno, 0, 0, what);
            continue;
        }
        int64_t ts, id, price = 0, qty = 0;
        if (col_int(st, &rw, lineno, fs, fn, 0, 0, 0, &ts) < 0) continue;
        if (col_int(st, &rw, lineno, fs, fn, 1, 0, 0, &id) < 0) continue;
        int r;
        if (field_is(fs[3], fn[3], "add")) {
            int64_t side, otype;
            if (field_is(fs[4], fn[4], "buy")) side = BUY;
            else if (field_is(fs[4], fn[4], "sell")) side = SELL;
            else {
                describe_value(val, sizeof val, fs[4], fn[4]);
                snprintf(what, sizeof what, "unknown side '%s' (expected buy or sell)", val);
                bad_row(st, &rw, lineno, 1, id, what);
                continue;
            }
            if (field_is(fs[5], fn[5], "limit")) otype = LIMIT;
            else if (field_is(fs[5], fn[5], "ioc")) otype = IOC;
            else if (field_is(fs[5], fn[5], "market")) otype = MARKET;
            else if (field_is(fs[5], fn[5], "post_only")) otype = POST_ONLY;
            else {
                describe_value(val, sizeof val, fs[5], fn[5]);
                snprintf(what, sizeof what, "unknown type '%s' (expected limit, ioc, market or post_only)", val);
                bad_row(st, &rw, lineno, 1, id, what);
                continue;
            }
            /* a market order's price is ignored, so it may be left empty */
            if (!(otype == MARKET && fn[6] == 0) && col_int(st, &rw, lineno, fs, fn, 6, 1, id, &price) < 0) continue;
            if (col_int(st, &rw, lineno, fs, fn, 7, 1, id, &qty) < 0) continue;
            r = engine_add(&e, id, owner_of(fs[2], fn[2]), side, otype, price, qty);
        } else if (field_is(fs[3], fn[3], "cancel")) {
            r = engine_cancel(&e, id);
        } else if (field_is(fs[3], fn[3], "replace")) {
            if (col_int(st, &rw, lineno, fs, fn, 6, 1, id, &price) < 0) continue;
            if (col_int(st, &rw, lineno, fs, fn, 7, 1, id, &qty) < 0) continue;
            r = engine_replace(&e, id, price, qty);
        } else {
            describe_value(val, sizeof val, fs[3], fn[3]);
            snprintf(what, sizeof what, "unknown action '%s' (expected add, cancel or replace)", val);
            bad_row(st, &rw, lineno, 1, id, what);
            continue;
        }
        if (r < 0) {
            st->fatal = 3;
            goto done;
        }
        if (r != REJ_OK) {
            st->rejects++;
            w_i64(&rw, lineno);
            w_char(&rw, ',');
            w_i64(&rw, id);
            w_char(&rw, ',');
            w_bytes(&rw, REJECT_NAMES[r], strlen(REJECT_NAMES[r]));
            w_char(&rw, '\n');
        }
        for (size_t i = 0; i < e.nfills; i++) {
            const FillRec *f = &e.fills[i];
            w_i64(&fw, ts);
            w_char(&fw, ',');
            w_i64(&fw, f->taker_id);
            w_char(&fw, ',');
            w_i64(&fw, f->maker_id);
            w_char(&fw, ',');
            w_i64(&fw, f->price);
            w_char(&fw, ',');
            w_i64(&fw, f->qty);
            w_bytes(&fw, f->aggressor == BUY ? ",buy\n" : ",sell\n", f->aggressor == BUY ? 5 : 6);
        }
        st->fills += (int64_t)e.nfills;
        e.nfills = 0;
        e.ncancels = 0; /* STP removals are not part of the fills file */
        if (fw.err || rw.err) break; /* reported by writer_close */
    }
    goto done;

read_error:
    st->fatal = rd.err ? 1 : 3;
    st->fatal_errno = rd.err;
    st->fatal_path = in_path;
done:
    if (have_engine) engine_free(&e);
    writer_close(&fw, st, out_path);
    writer_close(&rw, st, rej_path);
    if (rd.f) fclose(rd.f);
    free(rd.buf);
}

static PyObject *replay_csv(PyObject *mod, PyObject *args) {
    PyObject *inb = NULL, *outb = NULL, *rejb = NULL, *result = NULL;
    long long band;
    if (!PyArg_ParseTuple(args, "O&O&O&L:replay_csv", PyUnicode_FSConverter, &inb, PyUnicode_FSConverter, &outb,
                          PyUnicode_FSConverter, &rejb, &band))
        goto out;
    if (band < 0) {
        PyErr_SetString(PyExc_ValueError, "band_ticks must be >= 0 (0 turns the band off)");
        goto out;
    }
    ReplayState st;
    memset(&st, 0, sizeof st);
    const char *in = PyBytes_AS_STRING(inb), *o = PyBytes_AS_STRING(outb), *rj = PyBytes_AS_STRING(rejb);
    Py_BEGIN_ALLOW_THREADS replay_run(in, o, rj, band, &st);
    Py_END_ALLOW_THREADS

    if (st.fatal == 1) {
        errno = st.fatal_errno;
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, st.fatal_path);
    } else if (st.fatal == 2) {
        PyErr_SetString(PyExc_ValueError, st.fatal_msg);
    } else if (st.fatal == 3) {
        PyErr_NoMemory();
    } else {
        PyObject *msgs = PyList_New(st.nmessages);
        if (msgs) {
            for (int i = 0; i < st.nmessages; i++) {
                PyObject *s = PyUnicode_DecodeUTF8(st.messages[i], (Py_ssize_t)strlen(st.messages[i]), "replace");
                if (!s) {
                    Py_CLEAR(msgs);
                    break;
                }
                PyList_SET_ITEM(msgs, i, s);
            }
        }
        if (msgs) result = Py_BuildValue("(LLLLN)", (long long)st.rows, (long long)st.fills, (long long)st.rejects,
                                         (long long)st.bad_rows, msgs);
    }
    for (int i = 0; i < st.nmessages; i++) free(st.messages[i]);
out:
    Py_XDECREF(inb);
    Py_XDECREF(outb);
    Py_XDECREF(rejb);
    return result;
}

static PyMethodDef module_methods[] = {
    {"replay_csv", replay_csv, METH_VARARGS,
     "replay_csv(in_path, out_path, rejects_path, band_ticks) -> (rows, fills, rejects, bad_rows, first_bad_row_messages)"},
    {NULL}};

static struct PyModuleDef engine_module = {
    PyModuleDef_HEAD_INIT, "hollow.market._engine",
    "The C matching engine: one implementation behind Book and replay_csv.", -1, module_methods};

PyMODINIT_FUNC PyInit__engine(void) {
    if (PyType_Ready(&BookType) < 0) return NULL;
    PyObject *m = PyModule_Create(&engine_module);
    if (!m) return NULL;
    Py_INCREF(&BookType);
    if (PyModule_AddObject(m, "Book", (PyObject *)&BookType) < 0) {
        Py_DECREF(&BookType);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "MAX_VALUE", (long)MAX_VALUE) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
