/* placeholder: being written */
typedef int mts_placeholder_resolve;
