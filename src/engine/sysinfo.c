/* docker's /version and /info objects (capsa/engine.h), for the service and `capsa version/info
 * --format`. */
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/engine.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/util.h"

json_t *
capsa_engine_version_json (const char *api_version)
{
  struct utsname u;
  uname (&u);
  json_t *details = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "ApiVersion", api_version, "MinAPIVersion", "1.24",
                               "Os", "linux", "Arch", capsa_host_arch (NULL), "KernelVersion", u.release, "GitCommit",
                               "");
  return json_pack ("{s:{s:s}, s:[{s:s, s:s, s:o}], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Platform", "Name",
                    "capsa", "Components", "Name", "Engine", "Version", CAPSA_VERSION, "Details", details, "Version",
                    CAPSA_VERSION, "ApiVersion", api_version, "MinAPIVersion", "1.24", "GitCommit", "", "GoVersion", "",
                    "Os", "linux", "Arch", capsa_host_arch (NULL), "KernelVersion", u.release, "BuildTime", "");
}

static size_t
count_images (struct capsa_engine *e)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_json json_t *idx = NULL;
  cleanup_err capsa_err *err = NULL;
  if (capsa_store_open (e->root, &s, &err) < 0 || capsa_index_read (s, &idx, &err) < 0)
    return 0;
  return json_array_size (json_object_get (idx, "images"));
}

static json_t *
info_host (void)
{
  struct utsname u;
  struct sysinfo si;
  char host[256] = "";
  uname (&u);
  sysinfo (&si);
  gethostname (host, sizeof host - 1);
  bool v2 = access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
  return json_pack ("{s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:s, s:s}", "KernelVersion", u.release, "OperatingSystem",
                    "linux", "OSType", "linux", "Architecture", u.machine, "NCPU", (int) sysconf (_SC_NPROCESSORS_ONLN),
                    "MemTotal", (json_int_t) si.totalram * si.mem_unit, "Name", host, "CgroupDriver", "cgroupfs",
                    "CgroupVersion", v2 ? "2" : "1", "OSVersion", "");
}

json_t *
capsa_engine_info_json (struct capsa_engine *e)
{
  struct capsa_ctr_counts n;
  capsa_ctr_count (e, &n);
  json_t *info = json_pack (
      "{s:s, s:i, s:i, s:i, s:i, s:I, s:s, s:[], s:s, s:s, s:s, s:{s:{s:s}}, s:{s:s, s:s}, s:b, s:b, s:b, s:b, "
      "s:b, s:b, s:[s], s:[], s:s, s:b, s:s}",
      "ID", "capsa", "Containers", n.all, "ContainersRunning", n.running, "ContainersPaused", n.paused,
      "ContainersStopped", n.stopped, "Images", (json_int_t) count_images (e), "Driver", "overlay2", "DriverStatus",
      "DockerRootDir", e->root, "ServerVersion", CAPSA_VERSION, "DefaultRuntime", "capsa", "Runtimes", "capsa", "path",
      "capsa-oci", "Swarm", "NodeID", "", "LocalNodeState", "inactive", "MemoryLimit", 1, "SwapLimit", 1,
      "CpuCfsPeriod", 1, "CpuCfsQuota", 1, "CPUShares", 1, "PidsLimit", 1, "SecurityOptions",
      "name=seccomp,profile=default", "Warnings", "LoggingDriver", "json-file", "Debug", e->debug, "IndexServerAddress",
      "https://index.docker.io/v1/");
  json_object_update_new (info, info_host ());
  json_object_set_new (info, "Rootless", json_boolean (e->rootless));
  return info;
}
