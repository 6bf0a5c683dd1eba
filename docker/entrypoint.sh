#!/usr/bin/env sh
# The image's entrypoint: the seed's commands on top of the dancegen CLI.
#   train [args]              dancegen train --data-root $DANCEGEN_DATA/<dataset> ... (defaults below)
#   predict AUDIO [args]      dancegen dance AUDIO -o AUDIO-stem.mp4 beside it, unless -o is given
#   inference AUDIO [args]    the same as predict
#   evaluate [args] | serve [args] | info [args] | <any dancegen command>   passed through
set -eu
DANCEGEN=${DANCEGEN_BIN:-dancegen}
DATA=${DANCEGEN_DATA:-/data}

usage() {
    cat <<USAGE
usage: docker run -v DATA:/data IMAGE COMMAND [ARGS]
commands:
  train [dancegen train options]     train on /data (default: --dataset dance_with_melody
                                     --data-root /data/dance_with_melody --out /data/runs/default)
  predict AUDIO [options]            dance video for AUDIO (default output: AUDIO's name .mp4 beside it)
  inference AUDIO [options]          alias of predict
  evaluate | serve | info | generate | render | export [options]   dancegen's own commands
USAGE
}

has_opt() {  # has_opt NAME ARGS...: is option NAME among ARGS?
    name=$1; shift
    for a in "$@"; do
        case $a in "$name"|"$name"=*) return 0 ;; esac
    done
    return 1
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
    ""|-h|--help|help)
        usage ;;
    train)
        has_opt --data-root "$@" || has_opt --prepared "$@" || set -- --data-root "$DATA/dance_with_melody" "$@"
        has_opt --out "$@" || set -- --out "$DATA/runs/default" "$@"
        exec $DANCEGEN train "$@" ;;
    predict|inference)
        if [ $# -lt 1 ]; then
            echo "dancegen-entrypoint: $cmd needs an audio file, e.g. $cmd /data/song.mp3" >&2
            exit 2
        fi
        audio=$1; shift
        if ! has_opt -o "$@" && ! has_opt --output "$@"; then
            set -- -o "${audio%.*}.mp4" "$@"
        fi
        exec $DANCEGEN dance "$audio" "$@" ;;
    evaluate|serve|info|generate|render|export|dance|demo-song|tune)
        exec $DANCEGEN "$cmd" "$@" ;;
    *)
        echo "dancegen-entrypoint: unknown command '$cmd' (try: train, predict, inference, evaluate, serve, info)" >&2
        exit 2 ;;
esac
