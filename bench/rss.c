/* rss COMMAND ARGS...: run COMMAND and print its peak RSS in KiB (ru_maxrss of wait4) on stderr.
 * A process's high-water mark survives exec, so a child forked from Python would report
 * Python's memory: this launcher is tiny and static, so what it reports is the command's. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  if (argc < 2)
    return 2;
  pid_t pid = fork ();
  if (pid == 0)
    {
      execvp (argv[1], argv + 1);
      _exit (127);
    }
  int status;
  struct rusage ru;
  if (pid < 0 || wait4 (pid, &status, 0, &ru) < 0)
    return 2;
  fprintf (stderr, "rss-kib %ld\n", ru.ru_maxrss);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
