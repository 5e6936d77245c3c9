#ifndef MTS_IJSON_H
#define MTS_IJSON_H

/* A strict, iterative JSON scanner (RFC 8259) that also enforces what
 * I-JSON (RFC 7493) asks of the bytes and what cJSON does not check:
 * valid UTF-8, no lone surrogate escape, numbers inside the IEEE 754
 * double range and integers exact (|n| <= 2^53). It bounds the nesting
 * depth and the number of values before any tree is built, so a hostile
 * document cannot exhaust the stack or the heap. Duplicate member names
 * need the tree: see mts_ijson_has_duplicates. Pure: no I/O, no globals. */

#include <stddef.h>

enum mts_ijson_err {
  MTS_IJSON_OK = 0,
  MTS_IJSON_SYNTAX,    /*!< not JSON */
  MTS_IJSON_UTF8,      /*!< invalid UTF-8 */
  MTS_IJSON_SURROGATE, /*!< a lone surrogate in a \\u escape */
  MTS_IJSON_NUMBER,    /*!< a number beyond the double range, or an integer
                            beyond 2^53 */
  MTS_IJSON_DEPTH,     /*!< nesting deeper than allowed */
  MTS_IJSON_TOO_MANY,  /*!< more values than allowed */
};

/*! The first problem found. */
struct mts_ijson_res {
  enum mts_ijson_err err;
  size_t offset;   /*!< byte offset of the problem */
  const char *why; /*!< a static phrase */
};

/*! Check that \p p[0..n) is one JSON text (optional whitespace around one
 *  value) meeting the constraints above.
 *  \param max_depth deepest nesting of arrays and objects (at most 256)
 *  \param max_values most values (scalars, arrays, objects) in all
 *  \return res->err. */
enum mts_ijson_err mts_ijson_check(const char *p, size_t n, unsigned max_depth,
                                   size_t max_values,
                                   struct mts_ijson_res *res);

struct cJSON;

/*! \return the first member name that appears twice in one object of the
 *  tree \p root (depth-bounded by the tree itself, which mts_ijson_check
 *  bounded), or NULL. \p *nomem is set when memory ran out. */
const char *mts_ijson_duplicate(const struct cJSON *root, int *nomem);

#endif
