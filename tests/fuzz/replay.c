/*
 * replay.c - runs a fuzz target over its seed corpus without libFuzzer, so
 * the normal build (and the ASan build) exercise every target on every
 * `make check`. Usage: replay DIR... ; exit 1 if a directory is unreadable
 * or empty.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    /* Copy to an exact-size heap block so ASan sees overreads. */
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = buf[i];
    LLVMFuzzerTestOneInput(p, n);
    free(p);
    return 0;
}

int main(int argc, char **argv)
{
    size_t files = 0;
    for (int a = 1; a < argc; a++) {
        DIR *dir = opendir(argv[a]);
        if (dir == NULL) {
            perror(argv[a]);
            return 1;
        }
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            char path[4096];
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
            if (run_file(path) == 0)
                files++;
        }
        closedir(dir);
    }
    printf("replayed %zu inputs\n", files);
    return files > 0 ? 0 : 1;
}
