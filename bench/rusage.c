/* rusage: run a command, report its wall time and peak RSS.
 *
 *   rusage OUTFILE CMD [ARGS...]
 *
 * Writes "EXIT_CODE MAXRSS_KB WALL_SECONDS USER_CPU_S SYS_CPU_S" to OUTFILE. MAXRSS is ru_maxrss of
 * the child from wait4() (KiB on Linux). Why not os.wait4 from Python directly:
 * Linux carries the parent's RSS high-water mark into a forked (or vforked)
 * child across exec, so every child of the ~70 MB benchmark driver would report
 * at least ~70 MB. This helper is ~1 MB, so the child's figure is its own. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: rusage OUTFILE CMD [ARGS...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror("execvp");
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) { perror("wait4"); return 1; }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = fopen(argv[1], "w");
    if (!f) { perror(argv[1]); return 1; }
    fprintf(f, "%d %ld %.6f %.6f %.6f\n", code, ru.ru_maxrss, wall,
            ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    fclose(f);
    return code;
}
