/* The compiled-filter cache (src/seccomp/cache.c) in a temporary directory:
 * an entry is used only for exactly the key it was stored under, only while
 * its bytes are intact, and only when it and its directory are the caller's
 * and writable by no one else; otherwise the launch compiles afresh. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "seccomp/cache.h"

static char top[64], dir[96];

static const char profile[] = "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}";
static const struct sock_filter insns[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 165, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};
static const struct nsl_sc_filter filter = { (struct sock_filter *)insns, 4, 2 };
static const struct nsl_sc_target target = { .arch = SCMP_ARCH_X86_64, .caps = 0x5, .kernel = { 6, 1 } };

static int setup(void **state)
{
        (void)state;
        snprintf(top, sizeof top, "/tmp/nsl-test-cache-XXXXXX");
        if (!mkdtemp(top))
                return -1;
        snprintf(dir, sizeof dir, "%s/cache/seccomp", top);
        return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

static int teardown(void **state)
{
        (void)state;
        return nftw(top, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* 1 on a hit with exactly the stored filter, 0 on a miss. */
static int lookup(const char *text, size_t len, const struct nsl_sc_target *t)
{
        struct nsl_sc_filter got = { 0 };
        int r = nsl_sc_cache_lookup(dir, text, len, t, &got);

        if (r == 1) {
                assert_int_equal(got.len, filter.len);
                assert_int_equal(got.flags, filter.flags);
                assert_memory_equal(got.insns, insns, sizeof insns);
                free(got.insns);
        } else {
                assert_int_equal(r, 0);
        }
        return r;
}

static int lookup_stored(void)
{
        return lookup(profile, strlen(profile), &target);
}

static void store(const char *text, const struct nsl_sc_target *t)
{
        nsl_sc_cache_store(dir, text, strlen(text), t, &filter);
}

static int n_entries(void)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

/* The path of the one entry in the cache. */
static void entry(char *path, size_t size)
{
        DIR *d = opendir(dir);
        struct dirent *de;

        assert_non_null(d);
        assert_int_equal(n_entries(), 1);
        while ((de = readdir(d)) && de->d_name[0] == '.')
                ;
        assert_non_null(de);
        snprintf(path, size, "%s/%s", dir, de->d_name);
        closedir(d);
}

static void store_then_hit(void **state)
{
        struct stat st;
        char path[512];
        (void)state;
        assert_int_equal(lookup_stored(), 0);
        store(profile, &target);
        assert_int_equal(lookup_stored(), 1);
        assert_int_equal(lookup_stored(), 1);
        /* made private */
        entry(path, sizeof path);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
}

/* Every part of the key counts: the profile's bytes and length, the
 * architecture, the capabilities, the kernel. */
static void a_different_key_misses(void **state)
{
        struct nsl_sc_target t;
        char text[sizeof profile];
        (void)state;
        store(profile, &target);
        memcpy(text, profile, sizeof profile);
        text[20] ^= 0x20;
        assert_int_equal(lookup(text, strlen(text), &target), 0);
        assert_int_equal(lookup(profile, strlen(profile) - 1, &target), 0);
        t = target, t.arch = SCMP_ARCH_AARCH64;
        assert_int_equal(lookup(profile, strlen(profile), &t), 0);
        t = target, t.caps |= 1ULL << 21;
        assert_int_equal(lookup(profile, strlen(profile), &t), 0);
        t = target, t.kernel[1] = 2;
        assert_int_equal(lookup(profile, strlen(profile), &t), 0);
        t = target, t.kernel[0] = 5;
        assert_int_equal(lookup(profile, strlen(profile), &t), 0);
        assert_int_equal(lookup_stored(), 1);
        /* two keys, two entries, each hitting its own */
        t = target, t.caps = 0;
        store(profile, &t);
        assert_int_equal(n_entries(), 2);
        assert_int_equal(lookup(profile, strlen(profile), &t), 1);
        assert_int_equal(lookup_stored(), 1);
}

static void flip(const char *path, off_t offset)
{
        int fd = open(path, O_RDWR | O_CLOEXEC);
        unsigned char c;

        assert_true(fd >= 0);
        assert_int_equal(pread(fd, &c, 1, offset), 1);
        c ^= 0x01;
        assert_int_equal(pwrite(fd, &c, 1, offset), 1);
        close(fd);
}

/* One flipped bit anywhere (key, instructions, length, checksum) or a
 * missing byte: a miss. Flipped back, the entry is good again. */
static void a_corrupted_entry_is_rejected(void **state)
{
        char path[512];
        struct stat st;
        (void)state;
        store(profile, &target);
        entry(path, sizeof path);
        assert_int_equal(stat(path, &st), 0);
        const off_t size = st.st_size, insns_at = size - 8 - (off_t)sizeof insns;
        const off_t offsets[] = { 0, 30, size - 8 - (off_t)sizeof insns - 6 /* flags */,
                                  insns_at - 2 /* length */, insns_at, insns_at + 12, size - 9, size - 8, size - 1 };
        for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
                flip(path, offsets[i]);
                if (lookup_stored() != 0)
                        fail_msg("a flipped bit at offset %lld of %lld went unnoticed", (long long)offsets[i],
                                 (long long)size);
                flip(path, offsets[i]);
                assert_int_equal(lookup_stored(), 1);
        }
        assert_int_equal(truncate(path, size - 1), 0);
        assert_int_equal(lookup_stored(), 0);
}

/* An entry others can write may not be what we stored. */
static void an_entry_others_can_write_is_refused(void **state)
{
        static const mode_t modes[] = { 0620, 0602, 0666, 0660 };
        char path[512];
        (void)state;
        store(profile, &target);
        entry(path, sizeof path);
        for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
                assert_int_equal(chmod(path, modes[i]), 0);
                if (lookup_stored() != 0)
                        fail_msg("an entry of mode %04o was used", modes[i]);
        }
        assert_int_equal(chmod(path, 0600), 0);
        assert_int_equal(lookup_stored(), 1);
}

/* A symlink in the entry's place is not followed, even to a good copy. */
static void a_symlinked_entry_is_refused(void **state)
{
        char path[512], copy[256];
        (void)state;
        store(profile, &target);
        entry(path, sizeof path);
        snprintf(copy, sizeof copy, "%s/copy", top);
        assert_int_equal(rename(path, copy), 0);
        assert_int_equal(symlink(copy, path), 0);
        assert_int_equal(lookup_stored(), 0);
        assert_int_equal(rename(copy, path), 0);
        assert_int_equal(lookup_stored(), 1);
}

/* A directory others can write: nothing is stored there, and what is
 * there is not used. */
static void a_directory_others_can_write_is_refused(void **state)
{
        struct nsl_sc_target t = target;
        (void)state;
        store(profile, &target);
        assert_int_equal(lookup_stored(), 1);
        assert_int_equal(chmod(dir, 0777), 0);
        assert_int_equal(lookup_stored(), 0);
        t.caps = 0;
        store(profile, &t);
        assert_int_equal(n_entries(), 1);
        assert_int_equal(chmod(dir, 0770), 0);
        assert_int_equal(lookup_stored(), 0);
        assert_int_equal(chmod(dir, 0700), 0);
        assert_int_equal(lookup_stored(), 1);
        store(profile, &t);
        assert_int_equal(n_entries(), 2);
}

/* Another user's entry or directory (root can make both). */
static void another_owner_is_refused(void **state)
{
        char path[512];
        struct nsl_sc_target t = target;
        (void)state;
        if (geteuid() != 0)
                skip();
        store(profile, &target);
        entry(path, sizeof path);
        assert_int_equal(chown(path, 65534, 65534), 0);
        assert_int_equal(lookup_stored(), 0);
        assert_int_equal(chown(path, 0, 0), 0);
        assert_int_equal(lookup_stored(), 1);

        assert_int_equal(chown(dir, 65534, 65534), 0);
        assert_int_equal(lookup_stored(), 0);
        t.caps = 0;
        store(profile, &t);
        assert_int_equal(n_entries(), 1);
        assert_int_equal(chown(dir, 0, 0), 0);
        assert_int_equal(lookup_stored(), 1);
}

/* A profile file that has not changed for a while: device, inode, size,
 * mtime and ctime as fstat gave them. */
static struct stat settled_file(void)
{
        struct stat st = { .st_dev = 0x803, .st_ino = 4242, .st_size = 17000, .st_mode = S_IFREG | 0644 };
        time_t now = time(NULL);

        st.st_mtim = (struct timespec){ now - 3600, 123456789 };
        st.st_ctim = (struct timespec){ now - 60, 987654321 };
        return st;
}

static int lookup_file(const struct stat *st, const struct nsl_sc_target *t)
{
        struct nsl_sc_filter got = { 0 };
        int r = nsl_sc_cache_lookup_file(dir, st, t, &got);

        if (r == 1) {
                assert_int_equal(got.len, filter.len);
                assert_memory_equal(got.insns, insns, sizeof insns);
                free(got.insns);
        }
        return r;
}

/* Every part of the file's identity counts, and so does the target; the
 * identity never stands in for a profile's bytes or the other way round. */
static void a_settled_file_hits_by_its_identity(void **state)
{
        struct stat st = settled_file(), other;
        struct nsl_sc_target t = target;
        (void)state;
        assert_int_equal(lookup_file(&st, &target), 0);
        assert_int_equal(nsl_sc_cache_store_file(dir, &st, &target, &filter), 0);
        assert_int_equal(n_entries(), 1);
        assert_int_equal(lookup_file(&st, &target), 1);
        assert_int_equal(lookup_stored(), 0);
        other = st, other.st_dev++;
        assert_int_equal(lookup_file(&other, &target), 0);
        other = st, other.st_ino++;
        assert_int_equal(lookup_file(&other, &target), 0);
        other = st, other.st_size--;
        assert_int_equal(lookup_file(&other, &target), 0);
        other = st, other.st_mtim.tv_nsec++;
        assert_int_equal(lookup_file(&other, &target), 0);
        other = st, other.st_ctim.tv_nsec++;
        assert_int_equal(lookup_file(&other, &target), 0);
        t.caps |= 1ULL << 21;
        assert_int_equal(lookup_file(&st, &t), 0);
}

/* Two changes within one tick of the file system's clock could leave
 * size and times as they were: a file changed in the last seconds is not
 * stored by identity, only by its bytes. */
static void a_file_changed_just_now_is_not_stored_by_identity(void **state)
{
        struct stat st = settled_file();
        (void)state;
        st.st_ctim.tv_sec = time(NULL);
        assert_false(nsl_sc_cache_file_settled(&st));
        assert_int_equal(nsl_sc_cache_store_file(dir, &st, &target, &filter), 0);
        assert_int_equal(n_entries(), 0);
        st = settled_file();
        st.st_mtim.tv_sec = time(NULL) + 5;     /* set ahead with touch -d */
        assert_false(nsl_sc_cache_file_settled(&st));
        assert_true(nsl_sc_cache_file_settled(&(struct stat){ .st_mtim = settled_file().st_mtim,
                                                              .st_ctim = settled_file().st_ctim }));
}

static void no_directory_no_cache(void **state)
{
        struct nsl_sc_filter got = { 0 };
        (void)state;
        nsl_sc_cache_store(NULL, profile, strlen(profile), &target, &filter);
        assert_int_equal(nsl_sc_cache_lookup(NULL, profile, strlen(profile), &target, &got), 0);
        /* a relative directory is not created */
        nsl_sc_cache_store("relative/cache", profile, strlen(profile), &target, &filter);
        assert_int_equal(access("relative", F_OK), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(store_then_hit, setup, teardown),
                cmocka_unit_test_setup_teardown(a_different_key_misses, setup, teardown),
                cmocka_unit_test_setup_teardown(a_corrupted_entry_is_rejected, setup, teardown),
                cmocka_unit_test_setup_teardown(an_entry_others_can_write_is_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(a_symlinked_entry_is_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(a_directory_others_can_write_is_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(another_owner_is_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(no_directory_no_cache, setup, teardown),
                cmocka_unit_test_setup_teardown(a_settled_file_hits_by_its_identity, setup, teardown),
                cmocka_unit_test_setup_teardown(a_file_changed_just_now_is_not_stored_by_identity, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
