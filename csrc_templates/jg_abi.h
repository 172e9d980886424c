/* jitgraph native ABI: the one struct every generated module's entry receives.
 *
 * A module exports `int jg_entry(jg_call *call)`. `args` holds, in order, the
 * explicit inputs, the shared variables' values, then the outputs. Inputs and
 * shared values arrive filled in; the module computes each output's shape and
 * asks the caller for its storage through `alloc` (the caller owns the memory and
 * returns it to Python as an ndarray). Strides are in bytes, so views (slices,
 * transposes) need no copy. On failure the entry writes a message into `err`
 * (at most err_len bytes) and returns one of the JG_ERR_* codes.
 */
#ifndef JG_ABI_H
#define JG_ABI_H
#include <stdint.h>
#include <stddef.h>

#define JG_MAX_NDIM 8

enum jg_dtype { JG_BOOL = 0, JG_INT8, JG_INT16, JG_INT32, JG_INT64, JG_UINT8, JG_UINT16,
                JG_UINT32, JG_UINT64, JG_FLOAT32, JG_FLOAT64 };

enum jg_status { JG_OK = 0, JG_ERR_VALUE = 1, JG_ERR_INDEX = 2, JG_ERR_MEMORY = 3,
                 JG_ERR_BADARG = 10 };

typedef struct {
    void *data;
    int64_t shape[JG_MAX_NDIM];
    int64_t strides[JG_MAX_NDIM];   /* bytes */
    int32_t ndim, dtype;
} jg_buffer;

typedef struct jg_call jg_call;
struct jg_call {
    jg_buffer *args;        /* inputs, shared values, outputs, in order */
    int32_t nargs;
    /* fill buf->data and buf->strides for an output whose ndim, shape and dtype are set;
       returns 0, or nonzero when memory is exhausted */
    int (*alloc)(jg_call *call, int32_t arg_index, jg_buffer *buf);
    void *alloc_ctx;
    int32_t num_threads;    /* OpenMP threads for large loops */
    void *device;           /* CUDA: stream and cuBLAS table; NULL on the CPU */
    char *err;
    int32_t err_len;
};

typedef int (*jg_entry_fn)(jg_call *call);

#endif
