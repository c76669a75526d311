/* Prints the effective uid and the effective capability set: run from a
 * setuid-root copy or a copy carrying file capabilities. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
        char line[256];
        FILE *f = fopen("/proc/self/status", "r");

        printf("euid %u", (unsigned)geteuid());
        while (f && fgets(line, sizeof line, f))
                if (!strncmp(line, "CapEff:", 7))
                        printf(" capeff %s", line + 8);
        if (f)
                fclose(f);
        else
                printf(" capeff ?\n");
        return 0;
}
