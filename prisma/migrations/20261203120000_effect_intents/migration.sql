-- CreateEnum
CREATE TYPE "IntentKind" AS ENUM ('REFUND', 'CANCEL_EVENT');

-- CreateEnum
CREATE TYPE "IntentStatus" AS ENUM ('PENDING', 'DONE', 'FAILED');

-- CreateTable
CREATE TABLE "EffectIntent" (
    "id" TEXT NOT NULL,
    "kind" "IntentKind" NOT NULL,
    "bookingId" TEXT,
    "dedupeKey" TEXT NOT NULL,
    "params" JSONB NOT NULL,
    "actor" TEXT NOT NULL,
    "reason" TEXT,
    "sourceEventId" TEXT,
    "status" "IntentStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseUntil" TIMESTAMP(3),
    "lastError" TEXT,
    "result" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "doneAt" TIMESTAMP(3),

    CONSTRAINT "EffectIntent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "EffectIntent_dedupeKey_key" ON "EffectIntent"("dedupeKey");

-- CreateIndex
CREATE INDEX "EffectIntent_status_nextAttemptAt_idx" ON "EffectIntent"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "EffectIntent_bookingId_idx" ON "EffectIntent"("bookingId");

-- AddForeignKey
ALTER TABLE "EffectIntent" ADD CONSTRAINT "EffectIntent_bookingId_fkey" FOREIGN KEY ("bookingId") REFERENCES "Booking"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "WebhookEvent" ADD COLUMN     "rawSha256" TEXT;
