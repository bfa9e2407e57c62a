/* registry_int.h — what registry.c and registry_tmp.c share (cpe/registry.h). */
#ifndef CPE_ENGINE_REGISTRY_INT_H
#define CPE_ENGINE_REGISTRY_INT_H

/* Remove a directory and the files in it (one level; a version directory). */
void registry_rm_dir(const char *dir);
/* Remove version `version` of dir (<root>/<SYMBOL>) as a whole: it is renamed out of the
 * way first (".tmp-del-<version>-<pid>"), so a reader never sees a version with some of
 * its files gone, and a deleter killed half-way leaves a temporary for the sweep. */
void registry_remove_version(const char *dir, const char *version);
/* Remove the temporaries a killed writer left in dir (<root>/<SYMBOL>): version
 * directories ".tmp-<version>-<pid>" and pointer files "<name>.tmp<pid>" of a process that
 * is gone. A live writer's temporaries (this process's or another's) stay. Returns how many
 * were removed. */
int registry_sweep_tmp(const char *dir);

#endif
