# fish completion for zabra-node
complete -c zabra-node -l set -r -d 'Override a config key (KEY=VALUE)' -a 'dataDir= dataLogDir= clientPort= clientPortAddress= tickTime= snapCount= preAllocSize= snapSizeLimitInKb= autopurge.snapRetainCount= maxClientCnxns= 4lw.commands.whitelist= zookeeper.extendedTypesEnabled= minSessionTimeout= maxSessionTimeout= znode.container.checkIntervalMs='
complete -c zabra-node -l force-recover -d 'Start on a log damaged mid-file, cutting it there'
complete -c zabra-node -l version -d 'Print the version'
complete -c zabra-node -s h -l help -d 'Show help'
complete -c zabra-node -F
