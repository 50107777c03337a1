# bash completion for xmm(1)
_xmm()
{
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "probe advise stat thaw demo --help
			--version -V" -- "$cur"))
		return
	fi
	case $prev in
	-a|--advice)
		COMPREPLY=($(compgen -W "cold pageout willneed collapse
			dontneed free populate-read populate-write hugepage
			nohugepage mergeable unmergeable normal random
			sequential dontneed-locked" -- "$cur"))
		return ;;
	-s|--select)
		local prefix=
		[[ $cur == *,* ]] && prefix=${cur%,*},
		COMPREPLY=($(compgen -P "$prefix" -W "anon heap stack file
			shmem all path:" -- "${cur##*,}"))
		compopt -o nospace 2>/dev/null
		return ;;
	-e|--on-error)
		COMPREPLY=($(compgen -W "skip-vma skip-page stop" -- "$cur"))
		return ;;
	-c|--cgroup)
		COMPREPLY=($(cd /sys/fs/cgroup 2>/dev/null &&
			compgen -d -- "$cur"))
		return ;;
	--min-size|--max-size|--jobs)
		return ;;
	esac
	case $cmd in
	advise)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--advice --select --min-size
				--max-size --on-error --freeze --cgroup
				--dry-run --jobs --inject --unchecked-seccomp
				--json --help" -- "$cur"))
			return
		fi ;;
	probe)
		COMPREPLY=($(compgen -W "--json --help" -- "$cur"))
		return ;;
	stat)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--json --help" -- "$cur"))
			return
		fi ;;
	thaw|demo)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--help" -- "$cur"))
			return
		fi ;;
	esac
	# A PID.
	COMPREPLY=($(compgen -W "$(cd /proc && echo [0-9]*)" -- "$cur"))
}
complete -F _xmm xmm
