# bash completion for zabra-node
_zabra_node() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
        --set)
            COMPREPLY=($(compgen -W "dataDir= dataLogDir= clientPort= clientPortAddress= tickTime= snapCount= preAllocSize= snapSizeLimitInKb= autopurge.snapRetainCount= maxClientCnxns= 4lw.commands.whitelist= zookeeper.extendedTypesEnabled= minSessionTimeout= maxSessionTimeout= znode.container.checkIntervalMs=" -- "$cur"))
            compopt -o nospace 2>/dev/null
            return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--set --force-recover --version --help" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _zabra_node zabra-node
