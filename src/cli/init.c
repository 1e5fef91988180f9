/* capsa-init: the tiny PID 1 of `capsa run --init`.  It runs the command as its child, forwards
 * every catchable signal to it, reaps every zombie, and exits with the command's status. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  sigset_t all, old;
  int first = 1;
  if (argc > 1 && strcmp (argv[1], "--") == 0)
    first = 2;
  if (first >= argc)
    {
      fprintf (stderr, "capsa-init: usage: capsa-init [--] COMMAND [ARG...]\n");
      return 125;
    }
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, &old);
  pid_t child = fork ();
  if (child < 0)
    {
      perror ("capsa-init: fork");
      return 125;
    }
  if (child == 0)
    {
      sigprocmask (SIG_SETMASK, &old, NULL);
      setpgid (0, 0);
      execvp (argv[first], argv + first);
      fprintf (stderr, "capsa-init: exec %s: %s\n", argv[first], strerror (errno));
      _exit (errno == ENOENT ? 127 : 126);
    }
  for (;;)
    {
      siginfo_t si;
      int sig = sigwaitinfo (&all, &si);
      if (sig < 0)
        continue;
      if (sig != SIGCHLD)
        {
          kill (child, sig);
          continue;
        }
      int status;
      pid_t p;
      while ((p = waitpid (-1, &status, WNOHANG)) > 0)
        if (p == child)
          return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
    }
}
