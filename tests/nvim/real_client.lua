-- A real LSP client: headless Neovim (0.7+) drives `stagecraft lsp` on a multi-stage Dockerfile.
-- It waits for the unused-stage diagnostic, jumps to definitions from COPY --from, from
-- RUN --mount ... from= and from FROM <stage>, renames a stage from a reference, writes the file,
-- formats the buffer and writes it again,
-- sees a diagnostic follow a new .dockerignore, and exits 0 only if every step did what it
-- should. Run by tests/nvim/run.sh.

local bin = os.getenv("STAGECRAFT_BIN")
local file = os.getenv("DOCKERFILE")
local failures = {}

local function fail(msg)
  table.insert(failures, msg)
  io.stderr:write("FAIL: " .. msg .. "\n")
end

local function check(cond, msg)
  if not cond then fail(msg) end
  return cond
end

local function finish()
  if #failures == 0 then
    io.stdout:write("nvim real-client test: all steps passed\n")
    vim.cmd("qall!")
  else
    vim.cmd("cquit 1")
  end
end

vim.cmd("edit " .. file)
vim.bo.filetype = "dockerfile"
local bufnr = vim.api.nvim_get_current_buf()

local client_id = vim.lsp.start_client({
  name = "stagecraft",
  cmd = { bin, "lsp" },
  root_dir = vim.fn.fnamemodify(file, ":h"),
})
if not check(client_id ~= nil, "the client starts") then return finish() end
vim.lsp.buf_attach_client(bufnr, client_id)

-- 1. The unused stage is reported.
local got = vim.wait(10000, function()
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.code == "unused-stage" or (d.user_data and d.user_data.lsp and d.user_data.lsp.code == "unused-stage") then
      return true
    end
  end
  return false
end, 50)
check(got, "an unused-stage diagnostic arrives")

-- 2. Jump to definition from each kind of reference (lines and columns are 1-based here).
local function find(pattern)
  for lnum, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local col = line:find(pattern, 1, true)
    if col then return lnum, col end
  end
end

local def_line = find("AS build")
local function jump_from(pattern, offset, what)
  local lnum, col = find(pattern)
  if not check(lnum ~= nil, "found " .. what) then return end
  vim.api.nvim_win_set_cursor(0, { lnum, col - 1 + offset })
  vim.lsp.buf.definition()
  local ok = vim.wait(5000, function() return vim.api.nvim_win_get_cursor(0)[1] == def_line end, 20)
  check(ok, "definition from " .. what .. " jumps to line " .. def_line .. " (now at line " .. vim.api.nvim_win_get_cursor(0)[1] .. ")")
end
jump_from("COPY --from=build", #"COPY --from=", "COPY --from")
jump_from("from=build,", #"from=", "RUN --mount from=")
jump_from("FROM build AS test", #"FROM ", "FROM <stage>")

-- 3. Rename from a reference, then write the file.
local lnum, col = find("--from=build")
vim.api.nvim_win_set_cursor(0, { lnum, col - 1 + #"--from=" })
vim.lsp.buf.rename("compile")
vim.wait(5000, function()
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n"):find("AS compile", 1, true) ~= nil
end, 20)
vim.cmd("write")

local f = io.open(file, "r")
local disk = f:read("*a")
f:close()
check(disk:find("FROM golang:1.22 AS compile", 1, true), "the AS name is renamed on disk")
check(disk:find("COPY --from=compile /out/app /app", 1, true), "COPY --from is renamed on disk")
check(disk:find("from=compile,target=/src", 1, true), "mount from= is renamed on disk")
check(disk:find("FROM compile AS test", 1, true), "FROM <stage> is renamed on disk")
for _, old in ipairs({ "AS build", "from=build", "FROM build" }) do
  check(not disk:find(old, 1, true), "no `" .. old .. "` is left")
end

-- 3b. Format the buffer (Neovim 0.7's formatting_sync), then write it.
vim.api.nvim_buf_set_lines(bufnr, -1, -1, false, { "", "", "", "run   apk add \\", "  curl   " })
-- (The indentation comes from the buffer's options: 2 spaces.)
vim.bo[bufnr].expandtab = true
vim.bo[bufnr].shiftwidth = 2 -- not the server's default (4): the client's tabSize is followed
if vim.lsp.buf.format then
  vim.lsp.buf.format({ async = false, timeout_ms = 5000 }) -- Neovim 0.8+
else
  vim.lsp.buf.formatting_sync(nil, 5000) -- 0.7 (Debian 12's)
end
local formatted = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
check(formatted:find("/app\n\nRUN apk add \\\n  curl$") ~= nil, "formatting: keyword, blanks, indentation, empty lines:\n" .. formatted)
vim.cmd("write")
f = io.open(file, "r")
disk = f:read("*a")
f:close()
check(disk:sub(-#"RUN apk add \\\n  curl\n") == "RUN apk add \\\n  curl\n", "the formatted file is on disk")

-- 4. An ignore file appears beside the Dockerfile: Neovim 0.7 cannot watch files for the
-- server, which looks itself, and the COPY of an ignored file is reported with no edit.
local function ignored_copy()
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.code == "CopyIgnoredFile" or (d.user_data and d.user_data.lsp and d.user_data.lsp.code == "CopyIgnoredFile") then
      return d
    end
  end
end
check(ignored_copy() == nil, "no CopyIgnoredFile before there is an ignore file")
local ignore = io.open(vim.fn.fnamemodify(file, ":h") .. "/.dockerignore", "w")
ignore:write("go.mod\n")
ignore:close()
local d = nil
vim.wait(10000, function() d = ignored_copy(); return d ~= nil end, 50)
if check(d ~= nil, "a CopyIgnoredFile diagnostic arrives once .dockerignore excludes go.mod") then
  check(d.lnum == 1, "it is on the COPY line (line " .. d.lnum .. ")")
  check(d.message:find('Attempting to Copy file "go.mod" that is excluded by .dockerignore', 1, true) ~= nil, "with BuildKit's message: " .. d.message)
end

vim.lsp.stop_client(client_id)
finish()
