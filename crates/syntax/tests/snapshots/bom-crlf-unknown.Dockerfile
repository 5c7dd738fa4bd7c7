# syntax=docker/dockerfile:1
# check=skip=JSONArgsRecommended

# base is the base
FROM alpine AS base
frobnicate the things
MAINTAINER someone
