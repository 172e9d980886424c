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
   Returns the module's status, or JG_ERR_BADARG with *bad set to the first argument
   that is not an ndarray of the expected kind (the caller converts it or raises). */
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
        int32_t dtype = s[0], ndim = s[1];
        const int32_t *sizes = s + 2;
        s += 2 + ndim;
        PyObject *o = PyList_GET_ITEM(args, i);
        if (!PyArray_Check(o)) { *bad = i; PyGILState_Release(gil); return JG_ERR_BADARG; }
        PyArrayObject *a = (PyArrayObject *)o;
        if (PyArray_TYPE(a) != jg_typenum[dtype] || PyArray_NDIM(a) != ndim || !PyArray_ISALIGNED(a)
            || !PyArray_ISNOTSWAPPED(a)) {
            *bad = i; PyGILState_Release(gil); return JG_ERR_BADARG;
        }
        jg_buffer *b = &call->args[i];
        b->data = PyArray_DATA(a);
        b->ndim = ndim;
        b->dtype = dtype;
        for (int d = 0; d < ndim; d++) {
            b->shape[d] = PyArray_DIMS(a)[d];
            b->strides[d] = PyArray_STRIDES(a)[d];
            if (sizes[d] >= 0 && b->shape[d] != sizes[d]) { *bad = i; PyGILState_Release(gil); return JG_ERR_BADARG; }
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
