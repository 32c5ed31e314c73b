// SPDX-License-Identifier: GPL-2.0
/*
 * Import into a V4L2 driver that writes through the CPU: vivid's capture
 * queue (videobuf2-vmalloc) takes our dma-buf as V4L2_MEMORY_DMABUF, maps it
 * with dma_buf_vmap() and draws a test pattern into it; the client sees the
 * frame through its own mmap of the buffer.
 */
#include <poll.h>
#include <sys/mman.h>
#include <linux/videodev2.h>

#include "common.h"

/* /dev/videoN of vivid's video capture device, or -1. */
static int open_vivid_capture(void)
{
	char path[64], name[64];
	int i, fd;

	for (i = 0; i < 16; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/class/video4linux/video%d/name", i);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(name, sizeof(name), f))
			name[0] = '\0';
		fclose(f);
		if (strncmp(name, "vivid-", 6) || !strstr(name, "-vid-cap"))
			continue;
		snprintf(path, sizeof(path), "/dev/video%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

int main(void)
{
	long long live0 = helper_counter("live_buffers");
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_requestbuffers req = {
		.count = 1, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	struct v4l2_buffer buf = {
		.index = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct pollfd pfd;
	int heap, video, fd;
	uint64_t size, i, changed = 0;
	uint8_t *p;

	video = open_vivid_capture();
	if (video < 0)
		SKIP("no vivid capture device (modprobe vivid)");
	CHECK(ioctl(video, VIDIOC_G_FMT, &fmt) == 0, "G_FMT");
	size = (fmt.fmt.pix.sizeimage + 4095) & ~4095ull;

	heap = heap_open(O_RDWR);
	fd = heap_alloc(heap, size, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "alloc: %s", strerror(-fd));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap");
	memset(p, 0xab, size);

	CHECK(ioctl(video, VIDIOC_REQBUFS, &req) == 0 && req.count >= 1,
	      "REQBUFS DMABUF");
	buf.m.fd = fd;
	buf.length = (uint32_t)size;
	CHECK(ioctl(video, VIDIOC_QBUF, &buf) == 0, "QBUF our dma-buf");
	CHECK(ioctl(video, VIDIOC_STREAMON, &type) == 0, "STREAMON");
	pfd = (struct pollfd){ .fd = video, .events = POLLIN };
	CHECK(poll(&pfd, 1, 20000) == 1, "no frame within 20 s");
	memset(&buf, 0, sizeof(buf));
	buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	buf.memory = V4L2_MEMORY_DMABUF;
	CHECK(ioctl(video, VIDIOC_DQBUF, &buf) == 0, "DQBUF");
	CHECK(!(buf.flags & V4L2_BUF_FLAG_ERROR), "frame flagged as error");
	CHECK(buf.bytesused > 0 && buf.bytesused <= size, "bytesused %u",
	      buf.bytesused);

	CHECK(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) == 0,
	      "sync start");
	for (i = 0; i < buf.bytesused; i++)
		changed += p[i] != 0xab;
	CHECK(dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ) == 0,
	      "sync end");
	CHECK(changed > buf.bytesused / 2, "vivid wrote only %llu of %u bytes",
	      (unsigned long long)changed, buf.bytesused);

	CHECK(ioctl(video, VIDIOC_STREAMOFF, &type) == 0, "STREAMOFF");
	req.count = 0;
	CHECK(ioctl(video, VIDIOC_REQBUFS, &req) == 0, "REQBUFS 0");
	close(video);
	munmap(p, size);
	close(fd);
	close(heap);
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers %lld",
	      helper_counter("live_buffers"));
	printf("vivid captured a %ux%u frame (%u bytes) into our buffer through dma_buf_vmap; the client saw it\n",
	       fmt.fmt.pix.width, fmt.fmt.pix.height, buf.bytesused);
	return 0;
}
