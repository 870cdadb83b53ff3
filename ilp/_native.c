/* Loops of ilp in C, step for step as in Python: the branch and bound of ilp.clique._Search and
   ilp.dualclique._DualSearch (expand), the search over one bid per candidate of
   ilp.colgen._Pricer.walk (walk), the test of ilp.compile._UnionSearch.minimal_of (minimal), the
   compatibility bit sets of ilp.clique.graph (compatibility), what ilp.dualclique._Rows
   derives from its rows and duals (dual_rows), and the table of ilp.fewgoods._Table computed
   afresh or refreshed where a bid changed (fill).

   ilp/native.py packs the arguments (bit sets as 64-bit words, integers as int64) and reads the
   results back. The order of the nodes, the bounds, the node and work counts and so what is
   found are exactly those of the Python code (tests/test_native.py compares them on random
   inputs), in 64-bit integers: ilp/native.py only hands over searches whose sums cannot
   overflow them. Both look for a pending signal (Ctrl-C) every SIGNAL_EVERY nodes. The branch
   and bound (when it keeps only the best, not collecting) runs without the GIL, so that other
   threads run meanwhile (ilp.batch solves programs on threads), taking it back only for those
   looks, on the main thread (signals reach no other) and at most every LOOK_SECONDS; on another
   thread it stops on ilp.stopping's request instead. The searches that keep the GIL (the walk,
   a collecting branch and bound) let go of it for a moment every LOOK_SECONDS on a thread other
   than the main one (share_gil), and the walk stops there on ilp.stopping's request. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t word;

#define SIGNAL_EVERY 1024  /* nodes between two looks for a signal (PyErr_CheckSignals) */
#define CLASSES_PER_LOOK 1024  /* colour classes of one node between two looks at the clock and for a signal */

typedef struct {
    Py_ssize_t n, w;            /* vertices, 64-bit words of a vertex set */
    const word *compatible;     /* n x w */
    const int64_t *weights;     /* n */
    int64_t floor;              /* the weight to beat */
    long long nodes, work, max_nodes, max_work; /* caps: -1 for none */
    double deadline;            /* CLOCK_MONOTONIC seconds; < 0 for none */
    Py_ssize_t collect;         /* -1: keep the best; else collect cliques above the floor */
    int stopped;                /* the time, a cap or the collection stopped the search */
    int failed;                 /* out of memory, or a Python error */
    Py_ssize_t *clique, size;   /* the current clique */
    Py_ssize_t *best, best_size;
    PyObject *found;            /* list of tuples (collect mode) */
    word **levels;              /* per depth: candidates and branch, 2 w words */
    Py_ssize_t depth_cap;
    int64_t *residual;          /* colouring: residual weights (n) */
    Py_ssize_t *members;        /* colouring: the vertices of a class (n) */
    word *left, *free_;         /* scratch vertex sets */
    /* the dual search (rows != NULL) */
    Py_ssize_t rows, rw;        /* rows, words of a row set */
    const word *masks;          /* rows x w */
    const int64_t *duals;       /* rows */
    const int64_t *gain;        /* n: max(d_v, 0) */
    const int64_t *reduced;     /* n: d_v */
    const word *rows_of;        /* n x rw: the rows of y_r > 0 of each vertex */
    const word *positive;       /* w: vertices of d_v > 0 */
    const int64_t *level_values;/* levels: the distinct deficits, increasing */
    const word *within;         /* levels x w */
    Py_ssize_t n_levels;
    int64_t scale;
    int passes, dual_cover, dual;
    word *met;                  /* scratch row set (rw) */
    PyThreadState *released;    /* the thread's state while the GIL is released (NULL: held) */
    int signals;                /* whether this thread handles signals (Python's main thread) */
    double next_look;           /* when to look for a signal next (main thread, released), or to let
                                   go of the GIL (another thread, kept: share_gil) */
    const volatile unsigned char *stop;  /* ilp.stopping's flag (NULL: none): stop once it is 1 */
} Search;

static double monotonic_now(void);

/* Whether the search must stop at a look at the clock: ilp.stopping's request, or the deadline. */
static int search_should_stop(const Search *s) {
    return (s->stop && *s->stop) || (s->deadline >= 0 && monotonic_now() > s->deadline);
}

#define LOOK_SECONDS 0.05

/* A search that keeps the GIL on a thread other than Python's main one (which cannot act on a
   signal) lets go of it for a moment once LOOK_SECONDS have passed since the last time: the main
   thread (Ctrl-C, the signal thread, the batch of ilp.batch) then runs during a long search on a
   thread beside it, where it had waited for the search's end (seconds, for a listing of
   ilp.colgen). Not more often: taking the GIL back waits for the thread that took it, up to the
   interpreter's switch interval (5 ms) for one running Python, for the whole call for one in a C
   search that keeps it. The next time counts from then. */
static void share_gil(double *next_look) {
    if (monotonic_now() < *next_look) return;
    Py_BEGIN_ALLOW_THREADS
    Py_END_ALLOW_THREADS
    *next_look = monotonic_now() + LOOK_SECONDS;
}

/* Every SIGNAL_EVERY nodes: PyErr_CheckSignals, which only the main thread can act on, with the
   GIL taken back for the look when the search released it, at most every LOOK_SECONDS (taking
   it back waits for whichever thread holds it: on the main thread a look every 1,024 nodes
   beside a thread running Python made a search of 300,000 nodes take 1.8 s instead of 0.3 s);
   on another thread no look, and the GIL shared when the search keeps it (share_gil). */
static int search_signals(Search *s) {
    if (!s->released) {
        if (s->signals) return PyErr_CheckSignals();
        share_gil(&s->next_look);
        return 0;
    }
    if (!s->signals) return 0;
    double now = monotonic_now();
    if (now < s->next_look) return 0;
    s->next_look = now + LOOK_SECONDS;
    PyEval_RestoreThread(s->released);
    int r = PyErr_CheckSignals();
    s->released = PyEval_SaveThread();
    return r;
}

static double monotonic_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static Py_ssize_t popcount_set(const word *s, Py_ssize_t w) {
    Py_ssize_t c = 0;
    for (Py_ssize_t k = 0; k < w; k++) c += __builtin_popcountll(s[k]);
    return c;
}


static Py_ssize_t lowest(const word *s, Py_ssize_t w) {
    for (Py_ssize_t k = 0; k < w; k++) if (s[k]) return 64 * k + __builtin_ctzll(s[k]);
    return -1;
}

static Py_ssize_t highest(const word *s, Py_ssize_t w) {
    for (Py_ssize_t k = w - 1; k >= 0; k--) if (s[k]) return 64 * k + 63 - __builtin_clzll(s[k]);
    return -1;
}

#define FLIP(s, v) ((s)[(v) >> 6] ^= (word)1 << ((v) & 63))

/* _Rows.bound: sum of max(d_v, 0) over the candidates plus y_r over the rows meeting them. */
static int64_t bound(Search *s, const word *cand) {
    int64_t total = 0;
    Py_ssize_t w = s->w, rw = s->rw;
    if (popcount_set(cand, w) * rw < s->rows * w) {
        memset(s->met, 0, rw * sizeof(word));
        for (Py_ssize_t k = 0; k < w; k++) {
            word bits = cand[k];
            while (bits) {
                Py_ssize_t v = 64 * k + __builtin_ctzll(bits);
                bits &= bits - 1;
                total += s->gain[v];
                const word *r = s->rows_of + v * rw;
                for (Py_ssize_t j = 0; j < rw; j++) s->met[j] |= r[j];
            }
        }
        for (Py_ssize_t j = 0; j < rw; j++) {
            word bits = s->met[j];
            while (bits) {
                total += s->duals[64 * j + __builtin_ctzll(bits)];
                bits &= bits - 1;
            }
        }
        return total;
    }
    for (Py_ssize_t r = 0; r < s->rows; r++) {
        const word *mask = s->masks + r * w;
        for (Py_ssize_t k = 0; k < w; k++) {
            if (cand[k] & mask[k]) {
                total += s->duals[r];
                break;
            }
        }
    }
    for (Py_ssize_t k = 0; k < w; k++) {
        word bits = cand[k] & s->positive[k];
        while (bits) {
            total += s->reduced[64 * k + __builtin_ctzll(bits)];
            bits &= bits - 1;
        }
    }
    return total;
}

/* _Rows.keep: the vertices whose deficit is at most slack (NULL: none). */
static const word *keep(Search *s, int64_t slack) {
    Py_ssize_t lo = 0, hi = s->n_levels; /* bisect_right */
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (slack < s->level_values[mid]) hi = mid; else lo = mid + 1;
    }
    return lo > 0 ? s->within + (lo - 1) * s->w : NULL;
}

/* _DualSearch.narrow, in place; 0 when the bound rules the node out. */
static int narrow(Search *s, word *cand, int64_t weight) {
    Py_ssize_t w = s->w;
    for (int pass = 0; pass < s->passes; pass++) {
        int64_t slack = bound(s, cand) - s->scale * (s->floor - weight + 1);
        if (slack < 0) return 0;
        const word *kept = keep(s, slack);
        int changed = 0;
        for (Py_ssize_t k = 0; k < w; k++) {
            word x = kept ? cand[k] & kept[k] : 0;
            if (x != cand[k]) changed = 1;
            cand[k] = x;
        }
        if (!changed) break;
    }
    return 1;
}

/* _Search.cover: the colouring bound; the candidates left to branch on go to branch. */
static void colour_cover(Search *s, const word *cand, int64_t target, word *branch) {
    Py_ssize_t w = s->w;
    int64_t *residual = s->residual;
    word *left = s->left, *free_ = s->free_;
    memcpy(residual, s->weights, s->n * sizeof(int64_t));
    memcpy(left, cand, w * sizeof(word));
    int64_t total = 0;
    for (Py_ssize_t classes = 1;; classes++) {
        Py_ssize_t v = lowest(left, w);
        if (v < 0) break;
        /* the clock between classes too (as _Search.cover): on a core of 193,932 unions (paths
           256 / 2000 / 10, 5 candidates) one colouring of weighted classes ran for minutes */
        if (classes % CLASSES_PER_LOOK == 0) {
            if (search_signals(s) < 0) s->failed = 1;
            else if (search_should_stop(s)) s->stopped = 1;
            if (s->failed || s->stopped) {
                memset(branch, 0, w * sizeof(word));
                return;
            }
        }
        /* the class of v: candidates in conflict with v and with every member after it */
        const word *c = s->compatible + v * w;
        for (Py_ssize_t k = 0; k < w; k++) free_[k] = left[k] & ~c[k];
        FLIP(free_, v);
        Py_ssize_t count = 1, *members = s->members;
        int64_t least = residual[v];
        members[0] = v;  /* then the successive lowest vertices of free_ */
        for (;;) {
            Py_ssize_t u = lowest(free_, w);
            if (u < 0) break;
            members[count++] = u;
            if (residual[u] < least) least = residual[u];
            const word *cu = s->compatible + u * w;
            for (Py_ssize_t k = 0; k < w; k++) free_[k] &= ~cu[k];
            FLIP(free_, u);  /* u was in free_ and is not compatible with itself: clear it */
        }
        total += least;
        s->work += count;
        if (total > target) {
            memcpy(branch, left, w * sizeof(word));
            return;
        }
        for (Py_ssize_t m = 0; m < count; m++) {
            Py_ssize_t u = members[m];
            residual[u] -= least;
            if (!residual[u]) FLIP(left, u);
        }
    }
    memset(branch, 0, w * sizeof(word));
}

/* _DualSearch.cover: candidates kept out of a set P grown while B(P) stays below the limit. */
static void dual_cover(Search *s, const word *cand, int64_t target, word *branch) {
    Py_ssize_t w = s->w, rw = s->rw;
    int64_t limit = s->scale * (target + 1), total = 0;
    memset(s->met, 0, rw * sizeof(word));
    memset(branch, 0, w * sizeof(word));
    for (Py_ssize_t k = 0; k < w; k++) {
        word bits = cand[k];
        while (bits) {
            Py_ssize_t v = 64 * k + __builtin_ctzll(bits);
            bits &= bits - 1;
            int64_t add = s->gain[v];
            const word *r = s->rows_of + v * rw;
            for (Py_ssize_t j = 0; j < rw; j++) {
                word fresh = r[j] & ~s->met[j];
                while (fresh) {
                    add += s->duals[64 * j + __builtin_ctzll(fresh)];
                    fresh &= fresh - 1;
                }
            }
            if (total + add < limit) {
                total += add;
                for (Py_ssize_t j = 0; j < rw; j++) s->met[j] |= r[j];
            } else {
                branch[k] |= (word)1 << (v & 63);
            }
        }
    }
}

static word *level(Search *s, Py_ssize_t depth) {
    if (depth >= s->depth_cap) {
        Py_ssize_t cap = 2 * s->depth_cap + 8;
        word **grown = realloc(s->levels, cap * sizeof(word *));
        if (!grown) return NULL;
        for (Py_ssize_t d = s->depth_cap; d < cap; d++) grown[d] = NULL;
        s->levels = grown;
        s->depth_cap = cap;
    }
    if (!s->levels[depth]) s->levels[depth] = malloc(2 * s->w * sizeof(word));
    return s->levels[depth];
}

/* _Search.expand: candidates are in level(depth)[0 .. w). */
static void expand(Search *s, Py_ssize_t depth, int64_t weight) {
    s->nodes++;
    if (s->nodes % 16 == 0 && search_should_stop(s)) { s->stopped = 1; return; }
    if (s->max_nodes >= 0 && s->nodes > s->max_nodes) { s->stopped = 1; return; }
    if (s->max_work >= 0 && s->work > s->max_work) { s->stopped = 1; return; }
    if (s->nodes % SIGNAL_EVERY == 0 && search_signals(s) < 0) { s->failed = 1; return; }
    if (weight > s->floor) {
        if (s->collect < 0) {
            s->floor = weight;
            memcpy(s->best, s->clique, s->size * sizeof(Py_ssize_t));
            s->best_size = s->size;
        } else {
            PyObject *t = PyTuple_New(s->size);
            if (!t) { s->failed = 1; return; }
            for (Py_ssize_t k = 0; k < s->size; k++) {
                PyObject *x = PyLong_FromSsize_t(s->clique[k]);
                if (!x) { Py_DECREF(t); s->failed = 1; return; }
                PyTuple_SET_ITEM(t, k, x);
            }
            int bad = PyList_Append(s->found, t);
            Py_DECREF(t);
            if (bad) { s->failed = 1; return; }
            if (PyList_GET_SIZE(s->found) > s->collect) { s->stopped = 1; return; }
        }
    }
    Py_ssize_t w = s->w;
    word *cand = s->levels[depth], *branch = cand + w;
    if (s->dual && !narrow(s, cand, weight)) return;
    if (s->dual && s->dual_cover) dual_cover(s, cand, s->floor - weight, branch);
    else colour_cover(s, cand, s->floor - weight, branch);
    for (;;) {
        Py_ssize_t v = highest(branch, w);
        if (v < 0) break;
        FLIP(branch, v);
        FLIP(cand, v);
        word *next = level(s, depth + 1);
        if (!next) { s->failed = 1; return; }
        cand = s->levels[depth];  /* level() may have moved the table of levels, not the levels */
        branch = cand + w;
        const word *c = s->compatible + v * w;
        for (Py_ssize_t k = 0; k < w; k++) next[k] = cand[k] & c[k];
        s->clique[s->size++] = v;
        expand(s, depth + 1, weight + s->weights[v]);
        s->size--;
        if (s->stopped || s->failed) return;
    }
}

static int get_buffer(PyObject *o, Py_buffer *b, Py_ssize_t bytes, const char *what) {
    if (PyObject_GetBuffer(o, b, PyBUF_SIMPLE) < 0) return -1;
    if (b->len != bytes) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes, expected %zd", what, b->len, bytes);
        PyBuffer_Release(b);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(expand_doc,
"expand(n, compatible, weights, floor, best, max_nodes, max_work, deadline, collect, dual[, stop[, signals]])\n"
"-> (stopped, best, floor, nodes, work, found)\n\n"
"Run the search from the root (ilp/native.py packs the arguments). dual is None or\n"
"(rows, masks, duals, gain, reduced, rows_of, positive, levels, within, scale, passes, dual_cover);\n"
"stop, a buffer of one byte read at the looks at the clock: the search stops once it is not 0;\n"
"signals, whether this thread is Python's main thread, the one that can act on a signal.");

static PyObject *py_expand(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_ssize_t n;
    PyObject *compatible_o, *weights_o, *best_o, *dual_o, *stop_o = Py_None;
    long long floor_, max_nodes, max_work;
    double deadline;
    Py_ssize_t collect;
    int signals = 1;
    if (!PyArg_ParseTuple(args, "nOOLOLLdnO|Op", &n, &compatible_o, &weights_o, &floor_, &best_o, &max_nodes,
                          &max_work, &deadline, &collect, &dual_o, &stop_o, &signals))
        return NULL;
    Search s;
    memset(&s, 0, sizeof s);
    s.n = n;
    s.w = n > 0 ? (n + 63) / 64 : 1;
    s.floor = floor_;
    s.max_nodes = max_nodes;
    s.max_work = max_work;
    s.deadline = deadline;
    s.collect = collect;
    Py_buffer bufs[12];
    int held = 0;
    PyObject *result = NULL;
    if (get_buffer(compatible_o, &bufs[held], n * s.w * 8, "compatible") < 0) goto done;
    s.compatible = bufs[held++].buf;
    if (get_buffer(weights_o, &bufs[held], n * 8, "weights") < 0) goto done;
    s.weights = bufs[held++].buf;
    if (dual_o != Py_None) {
        PyObject *masks_o, *duals_o, *gain_o, *reduced_o, *rows_of_o, *positive_o, *levels_o, *within_o;
        long long scale;
        if (!PyArg_ParseTuple(dual_o, "nOOOOOOOOLii", &s.rows, &masks_o, &duals_o, &gain_o, &reduced_o, &rows_of_o,
                              &positive_o, &levels_o, &within_o, &scale, &s.passes, &s.dual_cover))
            goto done;
        s.dual = 1;
        s.scale = scale;
        s.rw = s.rows > 0 ? (s.rows + 63) / 64 : 1;
        if (get_buffer(masks_o, &bufs[held], s.rows * s.w * 8, "masks") < 0) goto done;
        s.masks = bufs[held++].buf;
        if (get_buffer(duals_o, &bufs[held], s.rows * 8, "duals") < 0) goto done;
        s.duals = bufs[held++].buf;
        if (get_buffer(gain_o, &bufs[held], n * 8, "gain") < 0) goto done;
        s.gain = bufs[held++].buf;
        if (get_buffer(reduced_o, &bufs[held], n * 8, "reduced") < 0) goto done;
        s.reduced = bufs[held++].buf;
        if (get_buffer(rows_of_o, &bufs[held], n * s.rw * 8, "rows_of") < 0) goto done;
        s.rows_of = bufs[held++].buf;
        if (get_buffer(positive_o, &bufs[held], s.w * 8, "positive") < 0) goto done;
        s.positive = bufs[held++].buf;
        if (PyObject_GetBuffer(levels_o, &bufs[held], PyBUF_SIMPLE) < 0) goto done;
        s.level_values = bufs[held].buf;
        s.n_levels = bufs[held++].len / 8;
        if (get_buffer(within_o, &bufs[held], s.n_levels * s.w * 8, "within") < 0) goto done;
        s.within = bufs[held++].buf;
    }
    if (stop_o != Py_None) {
        if (get_buffer(stop_o, &bufs[held], 1, "stop") < 0) goto done;
        s.stop = bufs[held++].buf;
    }
    s.clique = malloc((n + 1) * sizeof(Py_ssize_t));
    s.best = malloc((n + 1) * sizeof(Py_ssize_t));
    s.residual = malloc((n + 1) * sizeof(int64_t));
    s.members = malloc((n + 1) * sizeof(Py_ssize_t));
    s.left = malloc(s.w * sizeof(word));
    s.free_ = malloc(s.w * sizeof(word));
    s.met = malloc(s.rw * sizeof(word) + 8);
    if (!s.clique || !s.best || !s.residual || !s.members || !s.left || !s.free_ || !s.met) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t nb = PySequence_Length(best_o);
    if (nb < 0) goto done;
    for (Py_ssize_t k = 0; k < nb && k <= n; k++) {
        PyObject *x = PySequence_GetItem(best_o, k);
        if (!x) goto done;
        s.best[k] = PyLong_AsSsize_t(x);
        Py_DECREF(x);
        if (s.best[k] == -1 && PyErr_Occurred()) goto done;
    }
    s.best_size = nb <= n + 1 ? nb : n + 1;
    if (collect >= 0 && !(s.found = PyList_New(0))) goto done;
    word *root = level(&s, 0);
    if (!root) { PyErr_NoMemory(); goto done; }
    memset(root, 0, s.w * sizeof(word));
    for (Py_ssize_t v = 0; v < n; v++) FLIP(root, v);
    s.signals = signals;
    if (!signals) s.next_look = monotonic_now() + LOOK_SECONDS;  /* (a short search never lets go) */
    if (collect < 0) s.released = PyEval_SaveThread();  /* nothing but C until the end: other threads run */
    expand(&s, 0, 0);
    if (s.released) PyEval_RestoreThread(s.released);
    if (s.failed) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    PyObject *best = PyTuple_New(s.best_size);
    if (!best) goto done;
    for (Py_ssize_t k = 0; k < s.best_size; k++) {
        PyObject *x = PyLong_FromSsize_t(s.best[k]);
        if (!x) { Py_DECREF(best); goto done; }
        PyTuple_SET_ITEM(best, k, x);
    }
    result = Py_BuildValue("(ONLLLO)", s.stopped ? Py_True : Py_False, best, (long long)s.floor, s.nodes, s.work,
                           s.found ? s.found : Py_None);
done:
    for (int k = 0; k < held; k++) PyBuffer_Release(&bufs[k]);
    Py_XDECREF(s.found);
    for (Py_ssize_t d = 0; d < s.depth_cap; d++) free(s.levels[d]);
    free(s.levels);
    free(s.clique);
    free(s.best);
    free(s.residual);
    free(s.members);
    free(s.left);
    free(s.free_);
    free(s.met);
    return result;
}

/* ---- ilp.compile._UnionSearch.minimal_of for XOR functions, in C ---- */

typedef struct {
    Py_ssize_t w, functions, options;
    const int64_t *first;        /* functions + 1: function k's bids, best first */
    const word *bundles;         /* bids x w */
    const int64_t *values;       /* bids */
    const int64_t *ofirst;       /* options + 1 */
    const int64_t *ofunc;        /* each option's functions */
    int64_t *value_of;           /* scratch: functions */
    word *covered, *shared;      /* scratch: w each */
} Minimal;

static int inside_of(const word *bundle, const word *u, Py_ssize_t w) {
    for (Py_ssize_t j = 0; j < w; j++) if (bundle[j] & ~u[j]) return 0;
    return 1;
}

static void minimal_close(Minimal *m) {
    free(m->value_of);
    free(m->covered);
    free(m->shared);
    m->value_of = NULL;
    m->covered = m->shared = NULL;
}

/* the packed functions of minimal() (five buffers, held in bufs from *held on) and scratch */
static int minimal_open(Minimal *m, Py_ssize_t w, PyObject *first_o, PyObject *bundles_o, PyObject *values_o,
                        PyObject *ofirst_o, PyObject *ofunc_o, Py_buffer *bufs, int *held) {
    memset(m, 0, sizeof *m);
    m->w = w;
    if (w < 1) { PyErr_SetString(PyExc_ValueError, "words must be positive"); return -1; }
    if (PyObject_GetBuffer(first_o, &bufs[*held], PyBUF_SIMPLE) < 0) return -1;
    m->first = bufs[*held].buf;
    m->functions = bufs[(*held)++].len / 8 - 1;
    if (m->functions < 1) { PyErr_SetString(PyExc_ValueError, "no functions"); return -1; }
    for (Py_ssize_t k = 0; k < m->functions; k++)
        if (m->first[k] < 0 || m->first[k] > m->first[k + 1]) {
            PyErr_SetString(PyExc_ValueError, "first: not increasing from 0"); return -1;
        }
    Py_ssize_t bids = m->first[m->functions];
    if (get_buffer(bundles_o, &bufs[*held], bids * w * 8, "bundles") < 0) return -1;
    m->bundles = bufs[(*held)++].buf;
    if (get_buffer(values_o, &bufs[*held], bids * 8, "values") < 0) return -1;
    m->values = bufs[(*held)++].buf;
    if (PyObject_GetBuffer(ofirst_o, &bufs[*held], PyBUF_SIMPLE) < 0) return -1;
    m->ofirst = bufs[*held].buf;
    m->options = bufs[(*held)++].len / 8 - 1;
    if (PyObject_GetBuffer(ofunc_o, &bufs[*held], PyBUF_SIMPLE) < 0) return -1;
    m->ofunc = bufs[*held].buf;
    Py_ssize_t named = bufs[(*held)++].len / 8;
    if (m->options < 0 || m->ofirst[0] != 0 || m->ofirst[m->options] > named) {
        PyErr_SetString(PyExc_ValueError, "options: not within option_functions"); return -1;
    }
    for (Py_ssize_t o = 0; o < m->options; o++)
        if (m->ofirst[o] > m->ofirst[o + 1]) {
            PyErr_SetString(PyExc_ValueError, "option_first: not increasing"); return -1;
        }
    for (Py_ssize_t i = 0; i < m->ofirst[m->options]; i++)
        if (m->ofunc[i] < 0 || m->ofunc[i] >= m->functions) {
            PyErr_SetString(PyExc_ValueError, "option_functions: a function out of range"); return -1;
        }
    m->value_of = malloc(m->functions * sizeof(int64_t));
    m->covered = malloc(w * sizeof(word));
    m->shared = malloc(w * sizeof(word));
    if (!m->value_of || !m->covered || !m->shared) { PyErr_NoMemory(); return -1; }
    return 0;
}

/* ilp.compile._UnionSearch.minimal's test of union u: 1 when a smaller bundle matches its
   weight (written to *weight), 0 when u is kept */
static int minimal_matched(Minimal *m, const word *u, int64_t *weight_out) {
    Py_ssize_t w = m->w;
    const int64_t *first = m->first, *values = m->values, *ofirst = m->ofirst, *ofunc = m->ofunc;
    int64_t *value_of = m->value_of;
    for (Py_ssize_t k = 0; k < m->functions; k++) {  /* f_k(u): the value of its first bid inside u */
        value_of[k] = 0;
        for (int64_t b = first[k]; b < first[k + 1]; b++) {
            if (inside_of(m->bundles + b * w, u, w)) { value_of[k] = values[b]; break; }
        }
    }
    int64_t weight = 0;  /* w(u): max over options of min over their functions */
    for (Py_ssize_t o = 0; o < m->options; o++) {
        int64_t least = INT64_MAX;
        for (int64_t i = ofirst[o]; i < ofirst[o + 1]; i++)
            if (value_of[ofunc[i]] < least) least = value_of[ofunc[i]];
        if (o == 0 || least > weight) weight = least;
    }
    *weight_out = weight;
    for (Py_ssize_t o = 0; o < m->options; o++) {
        int tested = 1;
        for (int64_t i = ofirst[o]; i < ofirst[o + 1]; i++)
            if (value_of[ofunc[i]] < weight) tested = 0;
        if (!tested) continue;
        /* gathered over the functions: the goods that all of f_k's bids inside u worth weight
           or more share (every good when it has none: Python's -1) */
        int everything = 0;
        memset(m->covered, 0, w * sizeof(word));
        for (int64_t i = ofirst[o]; i < ofirst[o + 1]; i++) {
            Py_ssize_t k = ofunc[i];
            int none = 1;
            for (int64_t b = first[k]; b < first[k + 1] && values[b] >= weight; b++) {
                const word *bundle = m->bundles + b * w;
                if (!inside_of(bundle, u, w)) continue;
                for (Py_ssize_t j = 0; j < w; j++) m->shared[j] = none ? bundle[j] : m->shared[j] & bundle[j];
                none = 0;
            }
            if (none) everything = 1;
            else for (Py_ssize_t j = 0; j < w; j++) m->covered[j] |= m->shared[j];
        }
        if (everything || memcmp(m->covered, u, w * sizeof(word)) != 0) return 1;
    }
    return 0;
}

/* ---- ilp.colgen._Pricer.walk's depth-first search over one bid per candidate, in C ---- */

typedef struct {
    Py_ssize_t w, levels;        /* words of a bundle, candidates */
    const Py_ssize_t *first;     /* levels + 1: each level's first bid */
    const word *bundles;         /* bids x w */
    const int64_t *values;       /* bids */
    const int64_t *caps;         /* levels: the cap below each level (-1: none) */
    const int64_t *cost;         /* 64 w: the price of each good */
    int64_t own, floor, scale;
    int rising;                  /* keep = 1: the floor rises to each union recorded */
    long long budget;            /* nodes left; -1: no budget */
    long long nodes;
    int overflow;                /* the budget ran out, or (late) the clock */
    double deadline;             /* CLOCK_MONOTONIC seconds; < 0 for none */
    int late;                    /* the deadline passed: stopped as at an overflow */
    word *unions;                /* levels x w: the union at each level */
    PyObject *found;             /* bytearray of (union words, value) records */
    /* keep >= 2: the Python search's dict of the best unions, in its insertion order */
    Py_ssize_t keep;             /* 0: every record is returned (keep None or 1) */
    Py_ssize_t count, room;      /* entries held, and room for */
    word *keys;                  /* room x w: the entries' unions */
    int64_t *held;               /* room: their values */
    int64_t *slots;              /* hash table of entry positions (-1: empty), mask + 1 of them */
    size_t mask;
    int64_t *sorted;             /* room: scratch for the keep-th value */
    int tied;                    /* ties were dropped, the last time at the value tie */
    int64_t tie;
    int listing;                 /* keep None: the records as Python's dict holds them, distinct */
    int canonical;               /* listing: only tuples of each candidate's first bid inside */
    Py_ssize_t *chosen;          /* levels: the bid taken at each level */
    int signals;                 /* whether this thread is Python's main one (looks for a signal) */
    const volatile unsigned char *stop;  /* ilp.stopping's flag (NULL: none): raise Stopped once 1 */
    double next_look;            /* another thread: when to let go of the GIL next (share_gil) */
} Walk;

static PyObject *Stopped;  /* ilp._native.Stopped: a walk on a thread whose batch asked it to stop */

/* Every SIGNAL_EVERY nodes (and records of the final filter): on the main thread a look for a
   signal; on another, the GIL shared now and then (share_gil) and ilp.stopping's request read.
   At a node (not in the final filter), 1 once the deadline has passed: the walk stops as when
   its budget runs out, and says it was late (ilp.colgen's pricing rounds end as on their time
   limit; a walk of 1,500 candidates of 50 bids each ran 10 s past a limit of 5 s). */
static int walk_look(Walk *s, int at_node) {
    if (at_node && s->deadline >= 0 && monotonic_now() > s->deadline) {
        s->late = 1;
        return 1;
    }
    if (s->signals) return PyErr_CheckSignals();
    share_gil(&s->next_look);
    if (s->stop && *s->stop) {
        PyErr_SetString(Stopped, "the search's batch asked it to stop");
        return -1;
    }
    return 0;
}

static int walk_record(Walk *s, const word *u, int64_t value) {
    if (PyByteArray_Resize(s->found, PyByteArray_GET_SIZE(s->found) + (s->w + 1) * 8) < 0) return -1;
    char *end = PyByteArray_AS_STRING(s->found) + PyByteArray_GET_SIZE(s->found) - (s->w + 1) * 8;
    memcpy(end, u, s->w * 8);
    memcpy(end + s->w * 8, &value, 8);
    if (s->rising) s->floor = value;
    return 0;
}

static size_t keep_hash(const word *u, Py_ssize_t w) {  /* splitmix64's finalizer per word */
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (Py_ssize_t k = 0; k < w; k++) {
        h ^= u[k];
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
        h ^= h >> 31;
    }
    return (size_t)h;
}

/* the slot of union u: its entry's, or the empty one where it would go */
static size_t keep_slot(const Walk *s, const word *u) {
    size_t i = keep_hash(u, s->w) & s->mask;
    while (s->slots[i] >= 0 && memcmp(s->keys + s->slots[i] * s->w, u, s->w * 8) != 0) i = (i + 1) & s->mask;
    return i;
}

/* the hash table made again from the entries (after it grows, and after entries go) */
static void keep_index(Walk *s) {
    for (size_t i = 0; i <= s->mask; i++) s->slots[i] = -1;
    for (Py_ssize_t e = 0; e < s->count; e++) s->slots[keep_slot(s, s->keys + e * s->w)] = e;
}

/* room for need entries, the table at most half full (keep_index) */
static int keep_reserve(Walk *s, Py_ssize_t need) {
    if (need > s->room) {
        Py_ssize_t room = s->room ? 2 * s->room : 64;
        while (room < need) room *= 2;
        word *keys = realloc(s->keys, room * s->w * sizeof(word));
        if (!keys) return -1;
        s->keys = keys;
        int64_t *held = realloc(s->held, room * sizeof(int64_t));
        if (!held) return -1;
        s->held = held;
        int64_t *sorted = realloc(s->sorted, room * sizeof(int64_t));
        if (!sorted) return -1;
        s->sorted = sorted;
        s->room = room;
    }
    size_t size = s->mask + 1;
    if (s->slots && (size_t)need * 2 <= size) return 0;
    while ((size_t)need * 2 > size || size < 16) size *= 2;
    free(s->slots);
    s->slots = malloc(size * sizeof(int64_t));
    if (!s->slots) return -1;
    s->mask = size - 1;
    keep_index(s);
    return 0;
}

/* a union not held yet, entered last (the table grown if need be) */
static int keep_add(Walk *s, const word *u, int64_t value) {
    if (keep_reserve(s, s->count + 1) < 0) { PyErr_NoMemory(); return -1; }
    size_t i = keep_slot(s, u);
    memcpy(s->keys + s->count * s->w, u, s->w * 8);
    s->held[s->count] = value;
    s->slots[i] = s->count++;
    return 0;
}

static int compare_down(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x < y) - (x > y);
}

/* colgen's record with keep >= 2: a new union, or a better value of one held; at 2 keep entries,
   the floor rises to one below the keep-th best value and the entries at or below it go (the
   others keep their order); if 2 keep are still held (ties), to the keep-th value itself, and
   the walk remembers it (ilp.colgen._Pricer.best) */
static int keep_record(Walk *s, const word *u, int64_t value) {
    size_t i = keep_slot(s, u);
    if (s->slots[i] >= 0) {
        if (value <= s->held[s->slots[i]]) return 0;
        s->held[s->slots[i]] = value;
    } else {
        if (value <= s->floor) return 0;
        if (keep_add(s, u, value) < 0) return -1;
    }
    if (s->count < 2 * s->keep) return 0;
    memcpy(s->sorted, s->held, s->count * sizeof(int64_t));
    qsort(s->sorted, s->count, sizeof(int64_t), compare_down);
    int64_t kth = s->sorted[s->keep - 1];
    if (kth - 1 > s->floor) s->floor = kth - 1;
    for (int pass = 0; pass < 2; pass++) {
        Py_ssize_t kept = 0;
        for (Py_ssize_t e = 0; e < s->count; e++) {
            if (s->held[e] > s->floor) {
                if (kept != e) {
                    memmove(s->keys + kept * s->w, s->keys + e * s->w, s->w * 8);
                    s->held[kept] = s->held[e];
                }
                kept++;
            }
        }
        s->count = kept;
        if (s->count < 2 * s->keep) break;
        s->floor = kth;  /* ties at the keep-th value: they go too (remembered) */
        s->tied = 1;
        s->tie = kth;
    }
    keep_index(s);
    return 0;
}

/* colgen's record with keep None: a new union goes last, a union held keeps its place and the
   better value; none is dropped */
static int list_record(Walk *s, const word *u, int64_t value) {
    size_t i = keep_slot(s, u);
    if (s->slots[i] >= 0) {
        if (value > s->held[s->slots[i]]) s->held[s->slots[i]] = value;
        return 0;
    }
    return keep_add(s, u, value);
}

/* ilp.colgen._Pricer._walk's canonical test: no bid before the one taken at a level up to this
   one (at this one, before b) lies inside the union u */
static int canonical_tuple(const Walk *s, Py_ssize_t level, Py_ssize_t b, const word *u) {
    for (Py_ssize_t c = 0; c <= level; c++) {
        Py_ssize_t end = c == level ? b : s->chosen[c];
        for (Py_ssize_t e = s->first[c]; e < end; e++)
            if (inside_of(s->bundles + e * s->w, u, s->w)) return 0;
    }
    return 1;
}

static int walk_extend(Walk *s, Py_ssize_t level, int64_t spent, int64_t low) {
    if (s->budget >= 0 && --s->budget < 0) { s->overflow = 1; return 0; }
    if (++s->nodes % SIGNAL_EVERY == 0) {
        int look = walk_look(s, 1);
        if (look < 0) return -1;
        if (look > 0) { s->overflow = 1; return 0; }
    }
    Py_ssize_t w = s->w;
    const word *u = s->unions + level * w;
    word *next = s->unions + (level + 1) * w;
    int64_t cap = s->caps[level];
    int last = level == s->levels - 1;
    for (Py_ssize_t b = s->first[level]; b < s->first[level + 1]; b++) {
        int64_t v = s->values[b];
        int64_t m = low < v ? low : v;
        if (cap >= 0 && cap < m) m = cap;
        int64_t top = s->scale * m - spent - s->own;
        if (top <= s->floor) break;  /* later bids are worth no more */
        const word *bundle = s->bundles + b * w;
        int64_t extra = 0;
        int inside = 1;
        for (Py_ssize_t k = 0; k < w; k++) {
            word fresh = bundle[k] & ~u[k];
            if (fresh) inside = 0;
            while (fresh) {
                extra += s->cost[64 * k + __builtin_ctzll(fresh)];
                fresh &= fresh - 1;
            }
        }
        if (top - extra > s->floor) {
            for (Py_ssize_t k = 0; k < w; k++) next[k] = u[k] | bundle[k];
            if (s->canonical && !inside && !canonical_tuple(s, level, b, next)) {
                /* no tuple through here is the best of its union */
            } else if (last) {
                int64_t value = top - extra;
                if ((s->keep ? keep_record(s, next, value) : s->listing ? list_record(s, next, value)
                     : walk_record(s, next, value)) < 0) return -1;
            } else {
                if (s->canonical) s->chosen[level] = b;
                if (walk_extend(s, level + 1, spent + extra, m) < 0) return -1;
                if (s->overflow) return 0;
            }
        }
        if (inside) break;  /* the best bid inside the union dominates every later one */
    }
    return 0;
}

PyDoc_STRVAR(walk_doc,
"walk(words, first, bundles, values, caps, cost, upper, scale, own, floor, rising, budget[, keep, held, tie,\n"
"canonical, minimal, stop, signals, deadline]) -> (overflow, budget, floor, found, tie)\n\n"
"One option's search of ilp.colgen._Pricer.walk (ilp/native.py packs the arguments); found is\n"
"a bytearray of records, each a union's words and its int64 value. Rising, the records in the\n"
"order made; with keep 0 (None in Python) and not rising, each union once, where first made,\n"
"with its best value; canonical: only the tuples of each level's first bid inside their union\n"
"(Python's minimal=True); minimal, minimal()'s functions as a tuple (first, bundles, values,\n"
"option_first, option_functions) or None: then only the unions no smaller bundle matches.\n"
"With keep >= 2 (rising 0), the Python search's dict of the keep best unions: held, its records so\n"
"far (distinct unions above floor, in order), and found the dict at the end, in order; tie,\n"
"the value at which ties were last dropped (None: never), given and returned. After an overflow\n"
"(the budget spent) found is empty but in rising mode: the caller drops what it holds.\n"
"stop, a buffer of one byte (ilp.stopping's flag) or None; signals, whether this thread is\n"
"Python's main one: if not, the GIL is let go of now and then, and Stopped raised once stop is 1.\n"
"deadline, CLOCK_MONOTONIC seconds (negative: none): past it, the walk stops as at an overflow,\n"
"and overflow is 2 instead of 1.");

static PyObject *py_walk(PyObject *Py_UNUSED(self), PyObject *args) {
    Walk s;
    memset(&s, 0, sizeof s);
    PyObject *first_o, *bundles_o, *values_o, *caps_o, *cost_o, *held_o = NULL, *tie_o = NULL, *minimal_o = NULL;
    PyObject *stop_o = Py_None;
    long long upper, scale, own, floor_, budget;
    int rising, canonical = 0;
    s.signals = 1;
    Minimal m;
    memset(&m, 0, sizeof m);
    s.deadline = -1.0;
    if (!PyArg_ParseTuple(args, "nOOOOOLLLLiL|nOOpOOpd", &s.w, &first_o, &bundles_o, &values_o, &caps_o, &cost_o,
                          &upper, &scale, &own, &floor_, &rising, &budget, &s.keep, &held_o, &tie_o, &canonical,
                          &minimal_o, &stop_o, &s.signals, &s.deadline))
        return NULL;
    if (minimal_o == Py_None) minimal_o = NULL;
    if (minimal_o != NULL && (!PyTuple_Check(minimal_o) || PyTuple_GET_SIZE(minimal_o) != 5)) {
        PyErr_SetString(PyExc_TypeError, "minimal: a tuple of five buffers, or None");
        return NULL;
    }
    if ((minimal_o != NULL || canonical) && (s.keep || rising)) {
        PyErr_SetString(PyExc_ValueError, "canonical, minimal: only with keep 0, not rising");
        return NULL;
    }
    s.listing = !s.keep && !rising;
    s.canonical = canonical;
    if (tie_o != NULL && tie_o != Py_None) {
        s.tie = PyLong_AsLongLong(tie_o);
        if (s.tie == -1 && PyErr_Occurred()) return NULL;
        s.tied = 1;
    }
    Py_buffer bufs[12];
    int held = 0;
    PyObject *result = NULL;
    if (s.w < 1) { PyErr_SetString(PyExc_ValueError, "words must be positive"); return NULL; }
    if (s.keep < 0 || s.keep == 1 || s.keep > PY_SSIZE_T_MAX / 4 || (s.keep && rising)) {
        PyErr_SetString(PyExc_ValueError, "keep must be 0 or at least 2, and not rising");
        return NULL;
    }
    if (minimal_o != NULL && minimal_open(&m, s.w, PyTuple_GET_ITEM(minimal_o, 0), PyTuple_GET_ITEM(minimal_o, 1),
                                          PyTuple_GET_ITEM(minimal_o, 2), PyTuple_GET_ITEM(minimal_o, 3),
                                          PyTuple_GET_ITEM(minimal_o, 4), bufs, &held) < 0)
        goto done;
    if (PyObject_GetBuffer(first_o, &bufs[held], PyBUF_SIMPLE) < 0) goto done;
    s.first = bufs[held].buf;
    s.levels = bufs[held++].len / 8 - 1;
    if (s.levels < 1) { PyErr_SetString(PyExc_ValueError, "no levels"); goto done; }
    Py_ssize_t bids = s.first[s.levels];
    if (get_buffer(bundles_o, &bufs[held], bids * s.w * 8, "bundles") < 0) goto done;
    s.bundles = bufs[held++].buf;
    if (get_buffer(values_o, &bufs[held], bids * 8, "values") < 0) goto done;
    s.values = bufs[held++].buf;
    if (get_buffer(caps_o, &bufs[held], s.levels * 8, "caps") < 0) goto done;
    s.caps = bufs[held++].buf;
    if (get_buffer(cost_o, &bufs[held], 64 * s.w * 8, "cost") < 0) goto done;
    s.cost = bufs[held++].buf;
    s.own = own;
    s.floor = floor_;
    s.scale = scale;
    s.rising = rising;
    s.budget = budget;
    s.unions = calloc((s.levels + 1) * s.w, sizeof(word));
    s.chosen = calloc(s.levels, sizeof(Py_ssize_t));
    s.found = PyByteArray_FromStringAndSize(NULL, 0);
    if (!s.unions || !s.chosen || !s.found) { if (!PyErr_Occurred()) PyErr_NoMemory(); goto done; }
    if (s.listing && keep_reserve(&s, 1) < 0) { PyErr_NoMemory(); goto done; }
    if (s.keep) {
        Py_ssize_t record = (s.w + 1) * 8, entries = 0;
        const char *start = NULL;
        if (held_o != NULL && held_o != Py_None) {
            if (PyObject_GetBuffer(held_o, &bufs[held], PyBUF_SIMPLE) < 0) goto done;
            start = bufs[held].buf;
            if (bufs[held++].len % record) { PyErr_SetString(PyExc_ValueError, "held: not whole records"); goto done; }
            entries = bufs[held - 1].len / record;
        }
        if (keep_reserve(&s, entries + 1) < 0) { PyErr_NoMemory(); goto done; }
        for (Py_ssize_t e = 0; e < entries; e++) {
            word *u = s.keys + s.count * s.w;  /* copied first: the caller's buffer may be unaligned */
            int64_t value;
            memcpy(u, start + e * record, s.w * 8);
            memcpy(&value, start + e * record + s.w * 8, 8);
            size_t i = keep_slot(&s, u);
            if (value <= s.floor || s.slots[i] >= 0) {
                PyErr_SetString(PyExc_ValueError, "held: a union twice, or a value not above the floor");
                goto done;
            }
            s.held[s.count] = value;
            s.slots[i] = s.count++;
        }
    }
    if (stop_o != Py_None) {
        if (get_buffer(stop_o, &bufs[held], 1, "stop") < 0) goto done;
        s.stop = bufs[held++].buf;
    }
    if (!s.signals) s.next_look = monotonic_now() + LOOK_SECONDS;  /* (a short walk never lets go) */
    if (walk_extend(&s, 0, 0, upper) < 0) goto done;
    /* an overflow's records are dropped (ilp.colgen raises _Overflow): not filtered by minimal(),
       which on a listing of paths 256 / 2000 / 10 with 5 candidates took 4.5 of its 8 s */
    if ((s.keep || s.listing) && !s.overflow) {
        Py_ssize_t record = (s.w + 1) * 8, out_count = 0;
        if (PyByteArray_Resize(s.found, s.count * record) < 0) goto done;
        char *out = PyByteArray_AS_STRING(s.found);
        for (Py_ssize_t e = 0; e < s.count; e++) {
            int64_t weight;
            if (e % SIGNAL_EVERY == SIGNAL_EVERY - 1 && walk_look(&s, 0) < 0) goto done;
            if (minimal_o != NULL && minimal_matched(&m, s.keys + e * s.w, &weight)) continue;
            memcpy(out + out_count * record, s.keys + e * s.w, s.w * 8);
            memcpy(out + out_count * record + s.w * 8, &s.held[e], 8);
            out_count++;
        }
        if (PyByteArray_Resize(s.found, out_count * record) < 0) goto done;
    }
    if (s.tied) {
        result = Py_BuildValue("(iLLOL)", s.late ? 2 : s.overflow, (long long)s.budget, (long long)s.floor,
                               s.found, (long long)s.tie);
    } else {
        result = Py_BuildValue("(iLLOO)", s.late ? 2 : s.overflow, (long long)s.budget, (long long)s.floor,
                               s.found, Py_None);
    }
done:
    for (int k = 0; k < held; k++) PyBuffer_Release(&bufs[k]);
    Py_XDECREF(s.found);
    free(s.unions);
    free(s.chosen);
    free(s.keys);
    free(s.held);
    free(s.slots);
    free(s.sorted);
    minimal_close(&m);
    return result;
}

PyDoc_STRVAR(minimal_doc,
"minimal(words, first, bundles, values, option_first, option_functions, unions) -> (kept, weights)\n\n"
"ilp.compile._UnionSearch.minimal_of on XOR functions (ilp/native.py packs the arguments):\n"
"function k's bids, best first, are first[k] .. first[k + 1] - 1 of bundles and values; option\n"
"o's functions are option_functions[option_first[o] .. option_first[o + 1] - 1]. kept: the\n"
"indices (int64) of the unions no smaller bundle matches; weights: every union's weight.");

static PyObject *py_minimal(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_ssize_t w;
    PyObject *first_o, *bundles_o, *values_o, *ofirst_o, *ofunc_o, *unions_o;
    if (!PyArg_ParseTuple(args, "nOOOOOO", &w, &first_o, &bundles_o, &values_o, &ofirst_o, &ofunc_o, &unions_o))
        return NULL;
    Py_buffer bufs[6];
    int held = 0;
    PyObject *result = NULL, *kept = NULL, *weights = NULL;
    Minimal m;
    if (minimal_open(&m, w, first_o, bundles_o, values_o, ofirst_o, ofunc_o, bufs, &held) < 0) goto done;
    if (PyObject_GetBuffer(unions_o, &bufs[held], PyBUF_SIMPLE) < 0) goto done;
    const word *unions = bufs[held].buf;
    Py_ssize_t count = bufs[held++].len / (8 * w);
    kept = PyByteArray_FromStringAndSize(NULL, 0);
    weights = PyByteArray_FromStringAndSize(NULL, count * 8);
    if (!kept || !weights) goto done;
    int64_t *weight_of = (int64_t *)PyByteArray_AS_STRING(weights);
    for (Py_ssize_t a = 0; a < count; a++) {
        if (!minimal_matched(&m, unions + a * w, &weight_of[a])) {
            int64_t index = a;
            if (PyByteArray_Resize(kept, PyByteArray_GET_SIZE(kept) + 8) < 0) goto done;
            memcpy(PyByteArray_AS_STRING(kept) + PyByteArray_GET_SIZE(kept) - 8, &index, 8);
        }
    }
    result = Py_BuildValue("(OO)", kept, weights);
done:
    for (int k = 0; k < held; k++) PyBuffer_Release(&bufs[k]);
    Py_XDECREF(kept);
    Py_XDECREF(weights);
    minimal_close(&m);
    return result;
}

PyDoc_STRVAR(compatibility_doc,
"compatibility(n, vertex_of, starts, members, position) -> (sets, degrees, pairs)\n\n"
"The compatibility graph of ilp.clique.graph. Row r lists the variables\n"
"members[starts[r] .. starts[r + 1] - 1] (int64), pairwise in conflict; vertex_of[k] (int64)\n"
"is variable k's vertex (0 .. n - 1), or -1 for a variable that is none. position (int64, a\n"
"numbering of the vertices, or None for each its own) renumbers them: sets holds at\n"
"position[v] the w = ceil(n / 64) words of the set of vertices sharing no row with v (v\n"
"excluded), in that numbering; degrees (int64) the sets' sizes, in the same places; pairs the\n"
"sum of m (m - 1) over the rows of m >= 2 vertices.");

static PyObject *py_compatibility(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_ssize_t n;
    PyObject *vertex_o, *starts_o, *members_o, *position_o;
    if (!PyArg_ParseTuple(args, "nOOOO", &n, &vertex_o, &starts_o, &members_o, &position_o)) return NULL;
    if (n < 0) { PyErr_SetString(PyExc_ValueError, "n < 0"); return NULL; }
    Py_ssize_t w = n > 0 ? (n + 63) / 64 : 1;
    Py_buffer bufs[4];
    int held = 0;
    PyObject *result = NULL, *sets = NULL, *degrees = NULL;
    word *row = NULL;
    if (PyObject_GetBuffer(vertex_o, &bufs[held], PyBUF_SIMPLE) < 0) goto done;
    const int64_t *vertex_of = bufs[held].buf;
    Py_ssize_t variables = bufs[held++].len / 8;
    if (PyObject_GetBuffer(starts_o, &bufs[held], PyBUF_SIMPLE) < 0) goto done;
    const int64_t *starts = bufs[held].buf;
    Py_ssize_t rows = bufs[held++].len / 8 - 1;
    if (rows < 0) { PyErr_SetString(PyExc_ValueError, "no row starts"); goto done; }
    if (PyObject_GetBuffer(members_o, &bufs[held], PyBUF_SIMPLE) < 0) goto done;
    const int64_t *members = bufs[held].buf;
    Py_ssize_t count = bufs[held++].len / 8;
    const int64_t *position = NULL;
    if (position_o != Py_None) {
        if (get_buffer(position_o, &bufs[held], n * 8, "position") < 0) goto done;
        position = bufs[held++].buf;
    }
    if (starts[0] != 0 || starts[rows] != count) { PyErr_SetString(PyExc_ValueError, "row starts"); goto done; }
    for (Py_ssize_t r = 0; r < rows; r++)
        if (starts[r + 1] < starts[r]) { PyErr_SetString(PyExc_ValueError, "row starts out of order"); goto done; }
    for (Py_ssize_t v = 0; v < variables; v++)
        if (vertex_of[v] < -1 || vertex_of[v] >= n || (position && vertex_of[v] >= 0 &&
                                                        (position[vertex_of[v]] < 0 || position[vertex_of[v]] >= n))) {
            PyErr_SetString(PyExc_ValueError, "a vertex out of range"); goto done;
        }
    for (Py_ssize_t k = 0; k < count; k++)
        if (members[k] < 0 || members[k] >= variables) {
            PyErr_SetString(PyExc_ValueError, "a row's variable out of range"); goto done;
        }
    if (position) {  /* a numbering: each of 0 .. n - 1 once */
        unsigned char *seen = calloc(n + 1, 1);
        if (!seen) { PyErr_NoMemory(); goto done; }
        int twice = 0;
        for (Py_ssize_t v = 0; v < n && !twice; v++) {
            if (position[v] < 0 || position[v] >= n || seen[position[v]]) twice = 1;
            else seen[position[v]] = 1;
        }
        free(seen);
        if (twice) { PyErr_SetString(PyExc_ValueError, "position is not a numbering of the vertices"); goto done; }
    }
    sets = PyBytes_FromStringAndSize(NULL, n * w * 8);
    degrees = PyBytes_FromStringAndSize(NULL, n * 8);
    row = malloc(w * sizeof(word));
    if (!sets || !degrees || !row) { if (!PyErr_Occurred()) PyErr_NoMemory(); goto done; }
    word *conflict = (word *)PyBytes_AS_STRING(sets);
    memset(conflict, 0, n * w * 8);
    long long pairs = 0;
    for (Py_ssize_t r = 0; r < rows; r++) {  /* each vertex of a row conflicts with all of the row */
        memset(row, 0, w * sizeof(word));
        long long m = 0;
        for (int64_t k = starts[r]; k < starts[r + 1]; k++) {
            int64_t v = vertex_of[members[k]];
            if (v < 0) continue;
            if (position) v = position[v];
            row[v / 64] |= (word)1 << (v % 64);
            m++;
        }
        if (m < 2) continue;  /* a vertex alone in a row conflicts with nothing there */
        pairs += m * (m - 1);
        for (int64_t k = starts[r]; k < starts[r + 1]; k++) {
            int64_t v = vertex_of[members[k]];
            if (v < 0) continue;
            word *c = conflict + (position ? position[v] : v) * w;
            for (Py_ssize_t j = 0; j < w; j++) c[j] |= row[j];
        }
    }
    int64_t *degree = (int64_t *)PyBytes_AS_STRING(degrees);
    word last = n % 64 ? ((word)1 << (n % 64)) - 1 : ~(word)0;
    for (Py_ssize_t v = 0; v < n; v++) {  /* everyone but v and its conflicts */
        word *c = conflict + v * w;
        c[v / 64] |= (word)1 << (v % 64);
        int64_t d = 0;
        for (Py_ssize_t j = 0; j < w; j++) {
            c[j] = ~c[j] & (j == w - 1 ? last : ~(word)0);
            d += __builtin_popcountll(c[j]);
        }
        degree[v] = d;
    }
    result = Py_BuildValue("(OOL)", sets, degrees, pairs);
done:
    for (int k = 0; k < held; k++) PyBuffer_Release(&bufs[k]);
    Py_XDECREF(sets);
    Py_XDECREF(degrees);
    free(row);
    return result;
}

typedef struct { int64_t deficit; Py_ssize_t v; } Deficit;

static int by_deficit(const void *a, const void *b) {  /* increasing; ties by vertex (a stable sort) */
    const Deficit *x = a, *y = b;
    if (x->deficit != y->deficit) return x->deficit < y->deficit ? -1 : 1;
    return x->v < y->v ? -1 : (x->v > y->v);
}

PyDoc_STRVAR(dual_rows_doc,
"dual_rows(n, weights, masks, duals, scale) -> (gain, reduced, rows_of, positive, levels, within, gains)\n\n"
"What ilp.dualclique._Rows derives from its rows (masks: rows x w words, w = ceil(n / 64)) and\n"
"their duals (int64, >= 0) for n vertices of these weights (int64): d_v = scale w_v - the sum\n"
"of y_r over the rows of v (reduced), max(d_v, 0) (gain), per vertex the rows of y_r > 0\n"
"(rows_of, ceil(rows / 64) words each, at least one), the vertices of d_v > 0 (positive), the\n"
"distinct deficits max(d_v, 0) - d_v increasing (levels), per level the vertices whose\n"
"deficit is at most it (within: each level's set holds the previous one's), and the sum of\n"
"the gains, or 2^62 when it is at least that. The caller (ilp.native.dual_rows) makes sure\n"
"that scale >= 0, every w_v >= 0 and scale w_v and the sum of the duals stay below 2^61, so\n"
"that every d_v fits in 64 bits.");

static PyObject *py_dual_rows(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_ssize_t n;
    PyObject *weights_o, *masks_o, *duals_o;
    long long scale;
    if (!PyArg_ParseTuple(args, "nOOOL", &n, &weights_o, &masks_o, &duals_o, &scale)) return NULL;
    if (n < 0) { PyErr_SetString(PyExc_ValueError, "n < 0"); return NULL; }
    Py_ssize_t w = n > 0 ? (n + 63) / 64 : 1;
    Py_buffer bufs[3];
    int held = 0;
    PyObject *result = NULL, *gain_o = NULL, *reduced_o = NULL, *rows_of_o = NULL, *positive_o = NULL;
    PyObject *levels_o = NULL, *within_o = NULL;
    Deficit *order = NULL;
    if (get_buffer(weights_o, &bufs[held], n * 8, "weights") < 0) goto done;
    const int64_t *weights = bufs[held++].buf;
    if (PyObject_GetBuffer(duals_o, &bufs[held], PyBUF_SIMPLE) < 0) goto done;
    const int64_t *duals = bufs[held].buf;
    if (bufs[held].len % 8) { held++; PyErr_SetString(PyExc_ValueError, "duals: not int64"); goto done; }
    Py_ssize_t rows = bufs[held++].len / 8;
    if (get_buffer(masks_o, &bufs[held], rows * w * 8, "masks") < 0) goto done;
    const word *masks = bufs[held++].buf;
    word beyond = n % 64 ? ~(((word)1 << (n % 64)) - 1) : (n ? 0 : ~(word)0);  /* last word's bits past n */
    for (Py_ssize_t r = 0; r < rows; r++)
        if (masks[r * w + w - 1] & beyond) { PyErr_SetString(PyExc_ValueError, "a row holds a vertex >= n"); goto done; }
    Py_ssize_t rw = rows > 0 ? (rows + 63) / 64 : 1;
    gain_o = PyBytes_FromStringAndSize(NULL, n * 8);
    reduced_o = PyBytes_FromStringAndSize(NULL, n * 8);
    rows_of_o = PyBytes_FromStringAndSize(NULL, n * rw * 8);
    positive_o = PyBytes_FromStringAndSize(NULL, w * 8);
    order = malloc((n + 1) * sizeof(Deficit));
    if (!gain_o || !reduced_o || !rows_of_o || !positive_o || !order) { if (!PyErr_Occurred()) PyErr_NoMemory(); goto done; }
    int64_t *gain = (int64_t *)PyBytes_AS_STRING(gain_o), *reduced = (int64_t *)PyBytes_AS_STRING(reduced_o);
    word *rows_of = (word *)PyBytes_AS_STRING(rows_of_o), *positive = (word *)PyBytes_AS_STRING(positive_o);
    memset(rows_of, 0, n * rw * 8);
    memset(positive, 0, w * 8);
    for (Py_ssize_t v = 0; v < n; v++) reduced[v] = scale * weights[v];
    for (Py_ssize_t r = 0; r < rows; r++) {
        const word *mask = masks + r * w;
        for (Py_ssize_t j = 0; j < w; j++) {
            for (word bits = mask[j]; bits; bits &= bits - 1) {
                Py_ssize_t v = j * 64 + __builtin_ctzll(bits);
                if (v >= n) continue;
                reduced[v] -= duals[r];
                if (duals[r] > 0) rows_of[v * rw + r / 64] |= (word)1 << (r % 64);
            }
        }
    }
    const int64_t cap = (int64_t)1 << 62;
    int64_t gains = 0;
    for (Py_ssize_t v = 0; v < n; v++) {
        gain[v] = reduced[v] > 0 ? reduced[v] : 0;
        if (reduced[v] > 0) positive[v / 64] |= (word)1 << (v % 64);
        gains = gains >= cap - gain[v] ? cap : gains + gain[v];
        order[v].deficit = gain[v] - reduced[v];
        order[v].v = v;
    }
    qsort(order, n, sizeof(Deficit), by_deficit);
    Py_ssize_t count = 0;
    for (Py_ssize_t k = 0; k < n; k++) count += k == 0 || order[k].deficit != order[k - 1].deficit;
    levels_o = PyBytes_FromStringAndSize(NULL, count * 8);
    within_o = PyBytes_FromStringAndSize(NULL, count * w * 8);
    if (!levels_o || !within_o) goto done;
    int64_t *levels = (int64_t *)PyBytes_AS_STRING(levels_o);
    word *within = (word *)PyBytes_AS_STRING(within_o);
    Py_ssize_t level = -1;
    for (Py_ssize_t k = 0; k < n; k++) {  /* each level's set: the previous one and its own vertices */
        if (k == 0 || order[k].deficit != order[k - 1].deficit) {
            level++;
            levels[level] = order[k].deficit;
            if (level > 0) memcpy(within + level * w, within + (level - 1) * w, w * 8);
            else memset(within, 0, w * 8);
        }
        within[level * w + order[k].v / 64] |= (word)1 << (order[k].v % 64);
    }
    result = Py_BuildValue("(OOOOOOL)", gain_o, reduced_o, rows_of_o, positive_o, levels_o, within_o, (long long)gains);
done:
    for (int k = 0; k < held; k++) PyBuffer_Release(&bufs[k]);
    Py_XDECREF(gain_o);
    Py_XDECREF(reduced_o);
    Py_XDECREF(rows_of_o);
    Py_XDECREF(positive_o);
    Py_XDECREF(levels_o);
    Py_XDECREF(within_o);
    free(order);
    return result;
}

PyDoc_STRVAR(fill_doc,
"fill(best, m, bundles, values) -> None\n\n"
"F of ilp.fewgoods._Table computed afresh, in place: best is a writable buffer of 2^m int32 or\n"
"int64 values (all 0 on entry); bundles (int64, increasing, each a non-empty state below 2^m)\n"
"and values (int64) are the table's distinct bids. Block by block, as _Table._refresh(0):\n"
"F[S] = F[S - {g}] for the states S of first good g (bit p), then for each bid b of first good\n"
"g, F[S] = max(F[S], v(b) + F[S - b]) on the states S holding b, read in runs of consecutive\n"
"states (the bits of S below b's lowest good), or in aligned groups of 8 states when g is\n"
"bit 3 or above and the fixed bits (b's, and in a refresh changed's below g) hold one of the\n"
"three lowest bits.\n\n"
"fill(best, m, bundles, values, changed) with changed > 0 refreshes F in place, as\n"
"_Table._refresh(changed): only the states holding every good of changed, block by block from\n"
"changed's first good on, each state from F[S - {g}] and the bids of first good g again.");

/* One bid's update when its fixed bits (those of rest | H, of which LOW, a constant, are among
   the three lowest bits) make the runs 1, 2 or 4 states long: stepping y to the next run cost
   more than the update. The states are taken in aligned groups of 8 instead, y stepping over
   the free bits from the fourth on, and each group's 8 >> popcount(LOW) updates unrolled for
   the constant LOW. It works in FILL_BLOCKS's variables (later, block, y, high, v, and the
   fixed and from bits split at bit 3: high_fixed, high_from, low_from). On 1000 random bids
   over 20 goods a table took 10-15 ms instead of 19-26 ms (medians, 2026-12-07, 2 cores;
   8-11 ms with the AVX2 build below). */
#define FILL_CHUNKS(type, LOW)                                                                 \
    do {                                                                                       \
        y = 0;                                                                                 \
        do {                                                                                   \
            const type *from = later + (y | high_from);                                        \
            type *into = block + (y | high_fixed);                                             \
            for (unsigned s = 0; s < 8; s++) {                                                 \
                if (s & (LOW)) continue;                                                       \
                const type t = from[s | low_from] + v;                                         \
                type *q = into + (s | (LOW));                                                  \
                *q = t > *q ? t : *q;                                                          \
            }                                                                                  \
            y = (y - high) & high;                                                             \
        } while (y);                                                                           \
    } while (0)

/* F block by block, in place: in block p (the states S whose first good is bit p) only the
   states holding H, the goods of `changed` below p, from changed's first good on (every state
   of every block when changed is 0: the table afresh). First S = y | H takes F[S - {g}], for y
   a subset of the other bits below p; then for each bid b of first good g, S = y | rest | H
   takes max(F[S], v(b) + F[S - b]), with S - b = y | (H & ~rest). The y run over a subset's
   members by (y - high) & high, the bits below the lowest fixed bit in one inner run of
   consecutive states (in groups of 8 when that bit is among the three lowest: FILL_CHUNKS).
   F + v never passes the sum of the values, which fits the type; in a refresh, a state read
   may keep an old value until its own bundle's turn, so the caller (ilp.fewgoods) takes a type
   that holds the old and the new values summed. */
#define FILL_BLOCKS(type)                                                                      \
    do {                                                                                       \
        type *f = (type *)best;                                                                \
        const int first = changed ? 63 - __builtin_clzll(changed) : 0;                         \
        Py_ssize_t k = 0;                                                                      \
        while (k < count && (bundles[k] >> first) == 0) k++;                                   \
        for (int p = first; p < m; p++) {                                                      \
            type *later = f, *block = f + ((Py_ssize_t)1 << p);                                \
            const uint64_t below = ((uint64_t)1 << p) - 1, held = changed & below;             \
            uint64_t run = held ? (uint64_t)1 << __builtin_ctzll(held) : (uint64_t)1 << p;     \
            uint64_t high = below & ~held & ~(run - 1), y = 0;                                 \
            do {                                                                               \
                memcpy(block + (y | held), later + (y | held), run * sizeof(type));            \
                y = (y - high) & high;                                                         \
            } while (y);                                                                       \
            for (; k < count && (bundles[k] >> p) == 1; k++) {                                 \
                const uint64_t rest = (uint64_t)bundles[k] ^ ((uint64_t)1 << p);               \
                const uint64_t fixed = rest | held, from_bits = held & ~rest;                  \
                run = fixed ? (uint64_t)1 << __builtin_ctzll(fixed) : (uint64_t)1 << p;         \
                const type v = (type)values[k];                                                \
                if (run < 8 && p >= 3) {                                                       \
                    const uint64_t low_from = from_bits & 7, high_from = from_bits & ~7ull;    \
                    const uint64_t high_fixed = fixed & ~7ull;                                 \
                    high = below & ~fixed & ~7ull;                                             \
                    switch (fixed & 7) {                                                       \
                    case 1: FILL_CHUNKS(type, 1); break;                                       \
                    case 2: FILL_CHUNKS(type, 2); break;                                       \
                    case 3: FILL_CHUNKS(type, 3); break;                                       \
                    case 4: FILL_CHUNKS(type, 4); break;                                       \
                    case 5: FILL_CHUNKS(type, 5); break;                                       \
                    case 6: FILL_CHUNKS(type, 6); break;                                       \
                    default: FILL_CHUNKS(type, 7); break;                                      \
                    }                                                                          \
                    continue;                                                                  \
                }                                                                              \
                high = below & ~fixed & ~(run - 1);                                            \
                y = 0;                                                                         \
                do {                                                                           \
                    const type *from = later + (y | from_bits);                                \
                    type *into = block + (y | fixed);                                          \
                    for (uint64_t i = 0; i < run; i++) {                                       \
                        type t = from[i] + v;                                                  \
                        into[i] = t > into[i] ? t : into[i];                                   \
                    }                                                                          \
                    y = (y - high) & high;                                                     \
                } while (y);                                                                   \
            }                                                                                  \
        }                                                                                      \
    } while (0)

/* A contiguous buffer of signed integers of 4 or 8 bytes (itemsize 0) or of itemsize bytes. */
static int integers(PyObject *o, Py_buffer *b, int flags, Py_ssize_t itemsize, const char *what) {
    if (PyObject_GetBuffer(o, b, flags | PyBUF_FORMAT) < 0) return -1;
    const char *f = b->format ? b->format : "B";
    if (*f == '@' || *f == '=' || *f == '<') f++;
    int sized = itemsize ? b->itemsize == itemsize : (b->itemsize == 4 || b->itemsize == 8);
    if (!sized || !strchr("ilq", *f) || !*f || f[1]) {
        PyErr_Format(PyExc_ValueError, "%s: signed integers of %s bytes expected", what, itemsize ? "8" : "4 or 8");
        PyBuffer_Release(b);
        return -1;
    }
    return 0;
}

/* With gcc on x86-64 Linux the fill is compiled twice, for AVX2 and for any x86-64, and the
   loader picks the one the processor runs (the same integers either way): the long runs then
   take 8 values per instruction instead of 4 in int32 (4 instead of 2 in int64), 1.2-1.3x on
   tables of 2^16-2^20 states. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define WIDEST __attribute__((target_clones("avx2", "default")))
#else
#define WIDEST
#endif

WIDEST static void fill_int32(void *best, int m, const int64_t *bundles, const int64_t *values,
                              Py_ssize_t count, uint64_t changed) {
    FILL_BLOCKS(int32_t);
}

WIDEST static void fill_int64(void *best, int m, const int64_t *bundles, const int64_t *values,
                              Py_ssize_t count, uint64_t changed) {
    FILL_BLOCKS(int64_t);
}

static PyObject *py_fill(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *best_o, *bundles_o, *values_o;
    int m;
    long long changed_arg = 0;
    if (!PyArg_ParseTuple(args, "OiOO|L", &best_o, &m, &bundles_o, &values_o, &changed_arg)) return NULL;
    if (m < 0 || m > 40) { PyErr_SetString(PyExc_ValueError, "m out of range"); return NULL; }
    if (changed_arg < 0 || (m < 63 && changed_arg >> m)) {
        PyErr_SetString(PyExc_ValueError, "changed: a state below 2^m expected"); return NULL;
    }
    const uint64_t changed = (uint64_t)changed_arg;
    Py_buffer b_best, b_bundles, b_values;
    if (integers(best_o, &b_best, PyBUF_WRITABLE, 0, "best") < 0) return NULL;
    if (integers(bundles_o, &b_bundles, PyBUF_SIMPLE, 8, "bundles") < 0) { PyBuffer_Release(&b_best); return NULL; }
    if (integers(values_o, &b_values, PyBUF_SIMPLE, 8, "values") < 0) {
        PyBuffer_Release(&b_best); PyBuffer_Release(&b_bundles); return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t states = (Py_ssize_t)1 << m, count = b_bundles.len / 8;
    Py_ssize_t width = b_best.itemsize;
    const int64_t *bundles = b_bundles.buf, *values = b_values.buf;
    void *best = b_best.buf;
    if (b_best.len != width * states) { PyErr_SetString(PyExc_ValueError, "best: 2^m values expected"); goto done; }
    if (b_values.len != count * 8) { PyErr_SetString(PyExc_ValueError, "one value per bundle expected"); goto done; }
    for (Py_ssize_t k = 0; k < count; k++)
        if (bundles[k] <= 0 || bundles[k] >= states || (k && bundles[k] <= bundles[k - 1])) {
            PyErr_SetString(PyExc_ValueError, "bundles: increasing non-empty states below 2^m expected"); goto done;
        }
    Py_BEGIN_ALLOW_THREADS
    if (width == 4) fill_int32(best, m, bundles, values, count, changed);
    else fill_int64(best, m, bundles, values, count, changed);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&b_best);
    PyBuffer_Release(&b_bundles);
    PyBuffer_Release(&b_values);
    return result;
}

static PyMethodDef methods[] = {
    {"expand", py_expand, METH_VARARGS, expand_doc},
    {"walk", py_walk, METH_VARARGS, walk_doc},
    {"minimal", py_minimal, METH_VARARGS, minimal_doc},
    {"compatibility", py_compatibility, METH_VARARGS, compatibility_doc},
    {"dual_rows", py_dual_rows, METH_VARARGS, dual_rows_doc},
    {"fill", py_fill, METH_VARARGS, fill_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "ilp._native",
    "Searches of ilp.clique, ilp.dualclique and ilp.colgen in C (see ilp/native.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__native(void) {
    PyObject *mod = PyModule_Create(&module);
    if (!mod) return NULL;
    Stopped = PyErr_NewException("ilp._native.Stopped", NULL, NULL);
    if (!Stopped || PyModule_AddObjectRef(mod, "Stopped", Stopped) < 0) {
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
