// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Who traces, and xmm_inject_syscalls(), the entry point.
 *
 * The helper kept between calls first (inject_server.c); when it cannot
 * serve, a helper process made for the call: a vfork-like clone of the caller
 * that shares its memory, so that a caller killed at any step never leaves
 * the target with borrowed registers: the helper finishes the restore on its
 * own.
 * It blocks every signal it can, runs only async-signal-safe code (it
 * shares the caller's heap and TLS: a caller killed while one of its
 * threads held the malloc lock must not hang it), on a stack of its own
 * with a guard page below.
 *
 * Where Yama forbids a helper to attach (scope >= 1: only ancestors may
 * trace), a short-lived thread of the caller traces instead (its exit
 * releases a target that never stopped); where neither can be created
 * (RLIMIT_NPROC), the caller's own thread, which waits for the target's
 * stop without limit: nothing else would ever detach it.
 */
#include "internal.h"
#include "inject_abi.h"
#include "inject_private.h"
#include "backend.h"

#ifdef XMM_HAVE_INJECT

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define HELPER_STACK_SIZE	(192 * 1024)

/* A result no tracer writes: the helper never ran in our memory. */
#define RESULT_UNSET	XMM_INJECT_SERVER_UNAVAILABLE

/* The helper's life: nothing but SIGKILL may end it half way. */
static int helper_main(void *arg)
{
	struct xmm_inject_request *req = arg;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* Our own copy of the dispositions: SIGCHLD must be sent to us. */
	sigaction(SIGCHLD, &dfl, NULL);
	/*
	 * A caller killed before we began wants nothing any more: do not
	 * stop its target for no one.  (Killed later, we finish the job.)
	 */
	if (getppid() != req->caller) {
		req->result = -ESRCH;
		return 0;
	}
	req->result = xmm_inject_trace_batch(req, true, true, false);
	return 0;
}

/* Yama scope >= 1 lets only ancestors trace: a helper would be refused. */
static bool yama_forbids_helper(void)
{
	char buf[8] = "";
	int fd = open("/proc/sys/kernel/yama/ptrace_scope",
		      O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return xmm_inject_parse_decimal(buf) >= 1;
}

bool xmm_inject_supported(void)
{
	return true;
}

static void *thread_main(void *arg)
{
	struct xmm_inject_request *req = arg;

	req->result = xmm_inject_trace_batch(req, false, true, false);
	return NULL;
}

/*
 * Trace from a short-lived thread: ptrace links belong to the tracing
 * thread, and its exit detaches whatever it still traces.  So a target
 * that never stopped (EAGAIN) is released when the thread ends, instead
 * of staying traced by the caller's thread.  (A caller killed half way
 * takes this thread with it: only a helper process survives that.)
 */
static void run_in_thread(struct xmm_inject_request *req)
{
	sigset_t all, old;
	pthread_t thread;
	int err;

	/* The thread starts with every signal blocked: none is ours. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&thread, NULL, thread_main, req);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err == 0)
		pthread_join(thread, NULL);
}

/*
 * Run the batch from a helper.  CLONE_VM | CLONE_VFORK: it shares our
 * memory and we sleep until it exits; CLONE_FILES saves copying the
 * descriptor table; exit signal 0: the caller's SIGCHLD handler never
 * hears of it.  RESULT_UNSET afterwards when it could not run here.
 */
static void run_in_helper(struct xmm_inject_request *req, char *stack_top)
{
	pid_t helper = clone(helper_main, stack_top,
			     CLONE_VM | CLONE_VFORK | CLONE_FILES, req);
	int status;

	if (helper < 0 && errno == EINVAL)	/* an emulator's limits */
		helper = clone(helper_main, stack_top,
			       CLONE_VM | CLONE_VFORK, req);
	if (helper < 0)
		return;
	while (waitpid(helper, &status, __WALL) < 0 && errno == EINTR)
		;
}

/*
 * The tracer's memory: [guard page][stack, growing down][request].  One
 * such mapping is kept between calls (mapping it and faulting its stack
 * in cost more than the rest of a one-range call); a call that finds it
 * in use maps one of its own.  A forked child takes over its copy.
 */
#define WORK_SIZE(page)	((page) + HELPER_STACK_SIZE + \
			 sizeof(struct xmm_inject_request) + \
			 XMM_INJECT_MAX_CALLS * sizeof(struct xmm_inject_call))

static struct {
	_Atomic pid_t owner;	/* the process whose lock state is valid */
	atomic_bool busy;
	char *map;
} kept;

static char *work_get(size_t page)
{
	pid_t self = getpid(), owner = atomic_load(&kept.owner);
	bool idle = false;
	char *map;

	/* In a forked child, a lock held in the parent at fork is stale. */
	if (owner != self &&
	    atomic_compare_exchange_strong(&kept.owner, &owner, self))
		atomic_store(&kept.busy, false);
	if (atomic_compare_exchange_strong(&kept.busy, &idle, true)) {
		if (kept.map)
			return kept.map;
		atomic_store(&kept.busy, false);
	}
	map = mmap(NULL, WORK_SIZE(page), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	if (mprotect(map, page, PROT_NONE) < 0) {
		munmap(map, WORK_SIZE(page));
		return NULL;
	}
	idle = false;
	if (!kept.map &&
	    atomic_compare_exchange_strong(&kept.busy, &idle, true)) {
		if (!kept.map) {
			kept.map = map;
			return map;
		}
		atomic_store(&kept.busy, false);
	}
	return map;
}

static void work_put(char *map, size_t page)
{
	if (map == kept.map)
		atomic_store(&kept.busy, false);
	else
		munmap(map, WORK_SIZE(page));
}

static long inject_by_any_tracer(pid_t pid, int pidfd,
				 struct xmm_inject_call *calls, size_t count,
				 unsigned int flags)
{
	size_t page = (size_t)getpagesize();
	struct xmm_inject_request *req;
	char *map;
	long ret;

	/* The kept helper first; Yama refuses it as it refuses any helper. */
	if (!(flags & XMM_INJECT_NO_HELPER)) {
		ret = xmm_inject_server_call(pid, pidfd, calls, count, flags);
		if (ret != XMM_INJECT_SERVER_UNAVAILABLE &&
		    !(ret == -EPERM && yama_forbids_helper()))
			return ret;
	}
	map = work_get(page);
	if (!map)
		return -ENOMEM;
	req = (struct xmm_inject_request *)(map + page + HELPER_STACK_SIZE);
	req->caller = getpid();
	req->caller_chan = -1;
	req->pid = pid;
	req->pidfd = pidfd;
	req->flags = flags;
	req->count = count;
	req->result = RESULT_UNSET;
	memcpy(req->calls, calls, count * sizeof(*calls));

	if (!(flags & XMM_INJECT_NO_HELPER) && !yama_forbids_helper())
		run_in_helper(req, (char *)req);
	/* Killed after it began: the target may still run our call, and
	 * no other tracer may take it over. */
	if (req->result == XMM_INJECT_BEGUN)
		req->result = -EOWNERDEAD;
	/*
	 * No helper process (Yama, no memory for one), or one that did not
	 * share our memory (an emulator turned the clone into a fork):
	 * trace from a thread of ours, which Yama counts as us; and with
	 * neither (RLIMIT_NPROC), from this very thread.
	 */
	if (req->result == RESULT_UNSET)
		run_in_thread(req);
	if (req->result == RESULT_UNSET)
		req->result = xmm_inject_trace_batch(req, false, false, false);
	ret = req->result;
	if (ret > 0)
		memcpy(calls, req->calls, (size_t)ret * sizeof(*calls));
	work_put(map, page);
	return ret;
}

/*
 * Never our syscall numbers and registers in a process of another ABI
 * (an i386 program under an x86_64 caller): EXDEV, before any other
 * answer of the attach.  Where the register set tells the ABI, the
 * tracer checks it at the first stop, before it changes anything, and
 * the target's exe is read only when the attach failed, to answer as the
 * check before it would have.
 */
long xmm_inject_syscalls(pid_t pid, int pidfd, struct xmm_inject_call *calls,
			 size_t count, unsigned int flags)
{
	bool abi_by_regset;
	long ret, abi;

	if (count > XMM_INJECT_MAX_CALLS)
		return -EINVAL;
	if (pid <= 0)
		return -ESRCH;
	abi_by_regset = xmm_inject_regset_tells_abi();
	if (!abi_by_regset) {
		ret = xmm_inject_target_abi(pid);
		if (ret < 0)
			return ret;
	}
	ret = inject_by_any_tracer(pid, pidfd, calls, count, flags);
	if (ret < 0 && ret != -EXDEV && abi_by_regset) {
		abi = xmm_inject_target_abi(pid);
		if (abi < 0)
			ret = abi;
	}
	return ret;
}

#else /* !XMM_HAVE_INJECT */

bool xmm_inject_supported(void)
{
	return false;
}

#ifdef XMM_REQUIRE_INJECT
#error "no injection code for this architecture"
#endif

long xmm_inject_syscalls(pid_t pid, int pidfd, struct xmm_inject_call *calls,
			 size_t count, unsigned int flags)
{
	(void)pid, (void)pidfd, (void)calls, (void)count, (void)flags;
	return -ENOSYS;
}

#endif /* XMM_HAVE_INJECT */
