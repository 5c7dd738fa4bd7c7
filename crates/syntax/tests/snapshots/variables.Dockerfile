ARG BASE=alpine
ARG TAG
FROM ${BASE}:${TAG:-3.19} AS base
ENV A=$BASE B=${A:+set} C=${D#pre} E=${F//x/y} G=\$NOT H='$NOT'
WORKDIR /app/${NESTED:-${DEEP}}
USER ${UID
EXPOSE 80/tcp $PORT
