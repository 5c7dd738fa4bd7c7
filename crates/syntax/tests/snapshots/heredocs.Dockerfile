FROM alpine
RUN <<EOF
echo one
EOF
COPY <<A <<-"B" /dest/
first
A
	second
	B
RUN 3<<X cat <&3
x
X
RUN <<  SPACED
ok
SPACED
ONBUILD RUN <<EOF
echo later
EOF
RUN ["<<NOT"]
RUN <<NEVER
the rest of the file is the body
