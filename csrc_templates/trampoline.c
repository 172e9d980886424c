/* The trampoline: the one cffi API-mode module through which every generated module
 * is called. It packs the argument ndarrays into jg_buffers (checking dtype, ndim,
 * alignment and byte order against the function's signature), allocates outputs as
 * ndarrays when the module asks, and calls the module's jg_entry by pointer. Unlike
 * generated modules it includes Python.h: it is built once per Python/numpy version. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

static const int jg_typenum[] = {NPY_BOOL, NPY_INT8, NPY_INT16, NPY_INT32, NPY_INT64, NPY_UINT8,
                                 NPY_UINT16, NPY_UINT32, NPY_UINT64, NPY_FLOAT32, NPY_FLOAT64};

typedef struct { PyObject *results; int32_t first_out; } jg_out_ctx;

static int jg_numpy_ready = 0;

static int jg_tramp_alloc(jg_call *call, int32_t index, jg_buffer *b) {
    jg_out_ctx *ctx = (jg_out_ctx *)call->alloc_ctx;
    npy_intp dims[JG_MAX_NDIM];
    for (int d = 0; d < b->ndim; d++) dims[d] = (npy_intp)b->shape[d];
    PyObject *arr = PyArray_SimpleNew(b->ndim, dims, jg_typenum[b->dtype]);
    if (arr == NULL) { PyErr_Clear(); return 1; }
    b->data = PyArray_DATA((PyArrayObject *)arr);
    for (int d = 0; d < b->ndim; d++) b->strides[d] = PyArray_STRIDES((PyArrayObject *)arr)[d];
    Py_ssize_t slot = index - ctx->first_out;
    if (slot < 0 || slot >= PyList_GET_SIZE(ctx->results)) { Py_DECREF(arr); return 1; }
    PyList_SetItem(ctx->results, slot, arr);   /* steals the reference, drops the old item */
    return 0;
}

/* sig holds, per input: dtype code, ndim, then the required size of each dimension (-1:
   any; 1 for broadcastable dimensions; the static size where the type fixes one).
   jg_pack_buffer fills *b from ndarray o and advances *sp past o's entry; it returns 1
   when o is not an aligned, native-order ndarray of exactly that kind. */
static int jg_pack_buffer(jg_buffer *b, PyObject *o, const int32_t **sp) {
    const int32_t *s = *sp;
    int32_t dtype = s[0], ndim = s[1];
    *sp = s + 2 + ndim;
    if (!PyArray_Check(o)) return 1;
    PyArrayObject *a = (PyArrayObject *)o;
    if (PyArray_TYPE(a) != jg_typenum[dtype] || PyArray_NDIM(a) != ndim || !PyArray_ISALIGNED(a)
        || !PyArray_ISNOTSWAPPED(a)) return 1;
    b->data = PyArray_DATA(a);
    b->ndim = ndim;
    b->dtype = dtype;
    for (int d = 0; d < ndim; d++) {
        b->shape[d] = PyArray_DIMS(a)[d];
        b->strides[d] = PyArray_STRIDES(a)[d];
        if (s[2 + d] >= 0 && b->shape[d] != s[2 + d]) return 1;
    }
    return 0;
}

/* Runs a module on a list of argument ndarrays. Returns the module's status, or
   JG_ERR_BADARG with *bad set to the first argument the caller must convert. */
int jg_run(void *entry, intptr_t args_addr, intptr_t results_addr, jg_call *call,
           const int32_t *sig, int32_t n_in, int32_t *bad) {
    PyGILState_STATE gil = PyGILState_Ensure();
    int rc;
    if (!jg_numpy_ready) {
        if (_import_array() < 0) { PyErr_Clear(); PyGILState_Release(gil); return JG_ERR_MEMORY; }
        jg_numpy_ready = 1;
    }
    PyObject *args = (PyObject *)args_addr;
    const int32_t *s = sig;
    for (int32_t i = 0; i < n_in; i++) {
        if (jg_pack_buffer(&call->args[i], PyList_GET_ITEM(args, i), &s)) {
            *bad = i;
            PyGILState_Release(gil);
            return JG_ERR_BADARG;
        }
    }
    jg_out_ctx ctx = {(PyObject *)results_addr, n_in};
    call->alloc = jg_tramp_alloc;
    call->alloc_ctx = &ctx;
    call->err[0] = 0;
    rc = ((jg_entry_fn)entry)(call);
    PyGILState_Release(gil);
    return rc;
}

/* ---------------------------------------------------------------- the fast call
 * A callable object per compiled function: called with the function's explicit
 * arguments, it reads the shared variables' current values from their containers,
 * packs everything, runs the module, applies the updates and returns the result(s) —
 * one C call per Python call, without building argument lists in Python. It returns
 * the `badarg` sentinel when the arguments need binding or conversion, which Python
 * then does before calling again with exact arrays. */
typedef struct {
    PyObject_HEAD
    jg_entry_fn entry;
    int32_t n_explicit, n_in, n_out, n_visible, single, n_updates;
    int32_t *sig;
    int32_t *update_index;
    jg_buffer *bufs;
    jg_call call;
    char err[1024];
    PyObject *shared_cells, *consts, *update_cells, *badarg, *keepalive;
} jg_fast;

static PyObject *jg_fast_call(PyObject *self, PyObject *args, PyObject *kwargs) {
    jg_fast *f = (jg_fast *)self;
    if ((kwargs && PyDict_GET_SIZE(kwargs)) || PyTuple_GET_SIZE(args) != f->n_explicit) {
        Py_INCREF(f->badarg);
        return f->badarg;
    }
    const int32_t *s = f->sig;
    int32_t i = 0;
    for (int32_t k = 0; k < f->n_explicit; k++, i++)
        if (jg_pack_buffer(&f->bufs[i], PyTuple_GET_ITEM(args, k), &s)) goto badarg;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(f->shared_cells); k++, i++)
        if (jg_pack_buffer(&f->bufs[i], PyList_GET_ITEM(PyTuple_GET_ITEM(f->shared_cells, k), 0), &s)) goto badarg;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(f->consts); k++, i++)
        if (jg_pack_buffer(&f->bufs[i], PyTuple_GET_ITEM(f->consts, k), &s)) goto badarg;
    PyObject *results = PyList_New(f->n_out);
    if (!results) return NULL;
    for (int32_t k = 0; k < f->n_out; k++) { Py_INCREF(Py_None); PyList_SET_ITEM(results, k, Py_None); }
    jg_out_ctx ctx = {results, f->n_in};
    f->call.alloc_ctx = &ctx;
    f->err[0] = 0;
    int rc = f->entry(&f->call);
    if (rc) {
        PyObject *type = rc == JG_ERR_VALUE ? PyExc_ValueError : rc == JG_ERR_INDEX ? PyExc_IndexError
                         : rc == JG_ERR_MEMORY ? PyExc_MemoryError : PyExc_RuntimeError;
        PyErr_SetString(type, f->err);
        Py_DECREF(results);
        return NULL;
    }
    for (int32_t k = 0; k < f->n_updates; k++) {
        PyObject *value = PyList_GET_ITEM(results, f->update_index[k]);
        Py_INCREF(value);
        PyList_SetItem(PyTuple_GET_ITEM(f->update_cells, k), 0, value);
    }
    PyObject *out;
    if (f->single) {
        out = PyList_GET_ITEM(results, 0);
        Py_INCREF(out);
    } else {
        out = PyList_GetSlice(results, 0, f->n_visible);
    }
    Py_DECREF(results);
    return out;
badarg:
    Py_INCREF(f->badarg);
    return f->badarg;
}

static void jg_fast_dealloc(PyObject *self) {
    jg_fast *f = (jg_fast *)self;
    free(f->sig);
    free(f->update_index);
    free(f->bufs);
    Py_XDECREF(f->shared_cells);
    Py_XDECREF(f->consts);
    Py_XDECREF(f->update_cells);
    Py_XDECREF(f->badarg);
    Py_XDECREF(f->keepalive);
    PyTypeObject *tp = Py_TYPE(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyType_Slot jg_fast_slots[] = {
    {Py_tp_call, (void *)jg_fast_call},
    {Py_tp_dealloc, (void *)jg_fast_dealloc},
    {0, NULL},
};
static PyType_Spec jg_fast_spec = {"jitgraph.NativeCall", sizeof(jg_fast), 0, Py_TPFLAGS_DEFAULT, jg_fast_slots};
static PyObject *jg_fast_type = NULL;

/* params: (entry address, sig bytes, n_explicit, n_in, n_out, n_visible, single, shared_cells,
   consts, update_cells, update_index tuple, num_threads, badarg, keepalive). Returns a new
   reference to a NativeCall (as an address), or 0 with a Python error set. */
intptr_t jg_fast_new(intptr_t params_addr) {
    PyGILState_STATE gil = PyGILState_Ensure();
    jg_fast *f = NULL;
    if (!jg_numpy_ready) {
        if (_import_array() < 0) goto fail;
        jg_numpy_ready = 1;
    }
    if (!jg_fast_type && !(jg_fast_type = PyType_FromSpec(&jg_fast_spec))) goto fail;
    PyObject *p = (PyObject *)params_addr;
    f = PyObject_New(jg_fast, (PyTypeObject *)jg_fast_type);   /* holds a reference to its heap type */
    if (!f) goto fail;
    f->sig = NULL; f->update_index = NULL; f->bufs = NULL;
    f->shared_cells = f->consts = f->update_cells = f->badarg = f->keepalive = NULL;
    f->entry = (jg_entry_fn)PyLong_AsVoidPtr(PyTuple_GET_ITEM(p, 0));
    PyObject *sig = PyTuple_GET_ITEM(p, 1);
    f->n_explicit = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(p, 2));
    f->n_in = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(p, 3));
    f->n_out = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(p, 4));
    f->n_visible = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(p, 5));
    f->single = PyObject_IsTrue(PyTuple_GET_ITEM(p, 6));
    f->shared_cells = PyTuple_GET_ITEM(p, 7); Py_INCREF(f->shared_cells);
    f->consts = PyTuple_GET_ITEM(p, 8); Py_INCREF(f->consts);
    f->update_cells = PyTuple_GET_ITEM(p, 9); Py_INCREF(f->update_cells);
    PyObject *uidx = PyTuple_GET_ITEM(p, 10);
    f->n_updates = (int32_t)PyTuple_GET_SIZE(uidx);
    f->badarg = PyTuple_GET_ITEM(p, 12); Py_INCREF(f->badarg);
    f->keepalive = PyTuple_GET_ITEM(p, 13); Py_INCREF(f->keepalive);
    f->sig = (int32_t *)malloc((size_t)PyBytes_GET_SIZE(sig) + 4);
    f->update_index = (int32_t *)malloc(sizeof(int32_t) * (size_t)(f->n_updates + 1));
    f->bufs = (jg_buffer *)calloc((size_t)(f->n_in + f->n_out + 1), sizeof(jg_buffer));
    if (!f->sig || !f->update_index || !f->bufs) { PyErr_NoMemory(); goto fail; }
    memcpy(f->sig, PyBytes_AS_STRING(sig), (size_t)PyBytes_GET_SIZE(sig));
    for (int32_t k = 0; k < f->n_updates; k++)
        f->update_index[k] = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(uidx, k));
    memset(&f->call, 0, sizeof f->call);
    f->call.args = f->bufs;
    f->call.nargs = f->n_in + f->n_out;
    f->call.alloc = jg_tramp_alloc;
    f->call.num_threads = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(p, 11));
    f->call.err = f->err;
    f->call.err_len = (int32_t)sizeof f->err;
    if (PyErr_Occurred()) goto fail;
    PyGILState_Release(gil);
    return (intptr_t)f;
fail:
    Py_XDECREF((PyObject *)f);
    PyErr_Print();
    PyGILState_Release(gil);
    return 0;
}

/* Drops one reference (the one jg_fast_new returned, once Python holds its own). */
void jg_decref(intptr_t obj_addr) {
    PyGILState_STATE gil = PyGILState_Ensure();
    Py_DECREF((PyObject *)obj_addr);
    PyGILState_Release(gil);
}
