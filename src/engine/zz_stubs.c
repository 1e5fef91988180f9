#include "dockerfile.h"
#include "capsa/build.h"
int df_parse (const char *t, size_t l, const char *n, struct dockerfile *o, capsa_err **e){return -1;}
void df_free (struct dockerfile *d){}
const char *df_flag (const struct df_instr *in, const char *name){return 0;}
const char **df_flags_all (const struct df_instr *in, const char *name){return 0;}
int df_expand_word (const char *w, char esc, df_lookup_fn *l, void *d, char **o, capsa_err **e){return -1;}
int df_ignore_parse (const char *t, size_t l, struct df_ignore **o, capsa_err **e){return -1;}
void df_ignore_free (struct df_ignore *i){}
bool df_ignore_excluded (const struct df_ignore *i, const char *r){return 0;}
bool df_ignore_has_exceptions (const struct df_ignore *i){return 0;}
int df_glob (int c, const char *p, const struct df_ignore *i, char ***o, capsa_err **e){return -1;}
int capsa_image_commit (struct capsa_store *s, const char *u, const struct capsa_commit_opts *o, char *id, capsa_err **e){return -1;}
int capsa_image_cache_find (struct capsa_store *s, const char *k, char *id, capsa_err **e){return 0;}
